"""`pingjia provision DEVICE --window N` — register a new terminal for a window.

Prints the device key once (64 hex digits) on stdout; the installer puts it
into the terminal's configuration. The hub keeps it to check the terminal's
handshake. Also makes the terminal's broker user (named by its device id,
hub/services/broker_users.py) and prints its password once on stderr with
the rest of what the installer needs, then reloads the broker ([broker]
reload_command). Also `pingjia terminals provision` (same thing).
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
    from hub.services import broker_users, terminals
    cfg = load_config(args)
    broker_users.check_device_id(cfg, args.device)
    ensure_data_dir(cfg)
    db = open_store(cfg, must_exist=False)
    try:
        key = terminals.provision(db, args.device, args.window, actor="cli")
    finally:
        db.close()
    print(key)
    print("终端 %s 已登记到 %s 号窗口。Device key (shown once; put it into the terminal's "
          "config, keep it secret):\n  %s" % (args.device, args.window, key), file=sys.stderr)
    print_broker_login(cfg, args.device)
    return OK


def print_broker_login(cfg, device):
    """Give DEVICE a new broker password, reload the broker, tell the installer."""
    from hub.services import broker_users
    password = broker_users.grant_terminal(cfg, device)
    _done, words = broker_users.reload(cfg)
    print("Wi-Fi/MQTT (/wifi.json): hall %s  broker %s:%d  user %s  mqtt_pw (shown once):\n  %s\n%s"
          % (cfg.hall.code, cfg.broker.host, cfg.broker.port, device, password, words),
          file=sys.stderr)
