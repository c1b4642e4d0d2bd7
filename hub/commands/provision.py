"""`pingjia provision DEVICE --window N` — register a new terminal for a window.

Prints the device key once (64 hex digits); the installer puts it into the
terminal's configuration. The hub keeps it to check the terminal's
handshake. Also `pingjia terminals provision` (same thing).
"""

import sys

from hub.commands import OK
from hub.commands.common import add_config_args, command, load_config, open_store


def add_arguments(p):
    p.add_argument("device", help="device id, e.g. T-0012 (letters, digits, _ - .)")
    p.add_argument("--window", required=True, metavar="N", help="window number, e.g. 12")
    add_config_args(p)


def register(sub):
    p = sub.add_parser("provision", help="register a new terminal for a window and print its key")
    add_arguments(p)
    p.set_defaults(run=run)


@command("provision")
def run(args):
    from hub.config import ensure_data_dir
    from hub.services import terminals
    cfg = load_config(args)
    ensure_data_dir(cfg)
    db = open_store(cfg, must_exist=False)
    try:
        key = terminals.provision(db, args.device, args.window, actor="cli")
    finally:
        db.close()
    print(key)
    print("终端 %s 已登记到 %s 号窗口。Device key (shown once; put it into the terminal's "
          "config, keep it secret):\n  %s\nhall: %s  broker: %s:%d"
          % (args.device, args.window, key, cfg.hall.code, cfg.broker.host, cfg.broker.port),
          file=sys.stderr)
    return OK
