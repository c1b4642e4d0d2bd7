"""`pingjia terminals [list|show|assign|rekey|provision]` — the terminal registry."""

import json

from hub.commands import OK
from hub.commands import provision
from hub.commands.common import add_config_args, command, fmt_time, load_config, open_store, table

PRINTER = {"ok": "正常", "paper_out": "缺纸", "offline": "离线", "none": "无", "error": "故障"}


def register(sub):
    p = sub.add_parser("terminals", help="list terminals and their state; assign, rekey, provision")
    add_config_args(p)
    p.set_defaults(run=_list, window=None, offline=False, json=False)
    tsub = p.add_subparsers(dest="terminals_cmd", metavar="ACTION")
    ls = tsub.add_parser("list", help="all terminals (default)")
    ls.add_argument("--window", help="only this window")
    ls.add_argument("--offline", action="store_true", help="only offline terminals")
    ls.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    add_config_args(ls)
    ls.set_defaults(run=_list)
    sh = tsub.add_parser("show", help="one terminal in detail, with its error counters")
    sh.add_argument("device")
    add_config_args(sh)
    sh.set_defaults(run=_show)
    a = tsub.add_parser("assign", help="move a terminal to another window")
    a.add_argument("device")
    a.add_argument("--window", required=True, metavar="N")
    add_config_args(a)
    a.set_defaults(run=_assign)
    r = tsub.add_parser("rekey", help="give a terminal a new key (printed once)")
    r.add_argument("device")
    add_config_args(r)
    r.set_defaults(run=_rekey)
    pv = tsub.add_parser("provision", help="same as `pingjia provision`")
    provision.add_arguments(pv)
    pv.set_defaults(run=provision.run)


def _with_db(args, fn):
    cfg = load_config(args)
    db = open_store(cfg)
    try:
        return fn(db)
    finally:
        db.close()


@command("terminals")
def _list(args):
    from hub.services import terminals
    rows = _with_db(args, lambda db: terminals.list_all(db, args.window,
                                                        False if args.offline else None))
    if args.json:
        for t in rows:
            print(json.dumps(t, ensure_ascii=False))
        return OK
    table(["终端 device", "窗口 window", "状态 state", "固件 firmware", "最后联系 last seen",
           "待确认 journal", "内存 heap", "信号 link", "打印机 printer", "错误 errors"],
          [(t["device_id"], t["window"], "在线 online" if t["online"] else "离线 offline",
            t["firmware"], fmt_time(t["last_seen"]), t["journal_depth"], t["free_heap"],
            "" if t["link_quality"] is None else "%d%%" % t["link_quality"],
            PRINTER.get(t["printer_state"], t["printer_state"]),
            sum(t["errors"].values()) or "") for t in rows])
    online = sum(1 for t in rows if t["online"])
    print("\n%d 台终端, %d 在线 online, %d 离线 offline" % (len(rows), online, len(rows) - online))
    return OK


@command("terminals show")
def _show(args):
    from hub.services import terminals
    t = _with_db(args, lambda db: terminals.require(db, args.device))
    for key in ("device_id", "window", "online", "transport", "firmware", "board", "caps",
                "provisioned_at", "last_seen", "journal_depth", "free_heap", "link_quality",
                "rssi", "printer_state", "uptime_s", "boot_counter", "config_version"):
        value = t[key]
        if key in ("provisioned_at", "last_seen"):
            value = fmt_time(value)
        print("%-16s %s" % (key, "" if value is None else value))
    errors = t["errors"]
    print("%-16s %s" % ("errors", ", ".join("%s=%d" % kv for kv in sorted(errors.items())) or "0"))
    return OK


@command("terminals assign")
def _assign(args):
    from hub.services import terminals
    t = _with_db(args, lambda db: terminals.assign(db, args.device, args.window, actor="cli"))
    print("终端 %s → %s 号窗口 (window %s)" % (t["device_id"], t["window"], t["window"]))
    return OK


@command("terminals rekey")
def _rekey(args):
    import sys
    from hub.services import terminals
    key = _with_db(args, lambda db: terminals.rekey(db, args.device, actor="cli"))
    print(key)
    print("New key for %s (shown once); the old key stops working at the terminal's next "
          "handshake: put this one into its config." % args.device, file=sys.stderr)
    return OK
