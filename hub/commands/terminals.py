"""`pingjia terminals [list|show|problems|assign|rekey|remove|provision]` — the terminal registry.

rekey and remove change the broker's password and ACL files too
(hub/services/broker_users.py) and reload the broker: a removed terminal is
disconnected and refused from that reload on; a rekeyed one needs its new
broker password as well as its new device key.
"""

import json

from hub import halltime
from hub.commands import OK
from hub.commands import provision
from hub.commands.common import action, add_config_args, arg, command, print_fields, store, table

PRINTER = {"ok": "正常", "paper_out": "缺纸", "offline": "离线", "none": "无", "error": "故障"}


def register(sub):
    p = sub.add_parser("terminals", help="list terminals and their state; assign, rekey, remove, "
                       "provision")
    add_config_args(p)
    p.set_defaults(run=_list, window=None, offline=False, json=False)
    tsub = p.add_subparsers(dest="terminals_cmd", metavar="ACTION")
    action(tsub, "list", "all terminals (default)", _list,
           arg("--window", help="only this window"),
           arg("--offline", action="store_true", help="only offline terminals"),
           arg("--json", action="store_true", help="JSON lines instead of a table"))
    action(tsub, "show", "one terminal in detail, with its error counters and last problem",
           _show, arg("device"))
    action(tsub, "problems", "the last problem of every device id, known or not, newest first",
           _problems, arg("--limit", type=int, default=50, help="at most this many (50)"),
           arg("--json", action="store_true", help="JSON lines instead of a table"))
    action(tsub, "assign", "move a terminal to another window", _assign,
           arg("device"), arg("--window", required=True, metavar="N"))
    action(tsub, "rekey", "give a terminal a new key and broker password (printed once)", _rekey,
           arg("device"))
    action(tsub, "remove", "take a terminal out of service: its key and broker user are deleted",
           _remove, arg("device"))
    pv = tsub.add_parser("provision", help="same as `pingjia provision`")
    provision.add_arguments(pv)
    pv.set_defaults(run=provision.run)


def _with_db(args, fn):
    with store(args) as (_cfg, db):
        return fn(db)


@command("terminals")
def _list(args):
    from hub.services import terminals
    with store(args) as (cfg, db):
        rows = terminals.list_all(db, args.window, False if args.offline else None)
    tz = halltime.zone(cfg)
    if args.json:
        for t in rows:
            print(json.dumps(t, ensure_ascii=False))
        return OK
    table(["终端 device", "窗口 window", "状态 state", "固件 firmware", "最后联系 last seen",
           "待确认 journal", "内存 heap", "信号 link", "打印机 printer", "错误 errors",
           "问题 problem"],
          [(t["device_id"], t["window"], "在线 online" if t["online"] else "离线 offline",
            t["firmware"], halltime.show(t["last_seen"], tz), t["journal_depth"], t["free_heap"],
            "" if t["link_quality"] is None else "%d%%" % t["link_quality"],
            PRINTER.get(t["printer_state"], t["printer_state"]),
            sum(t["errors"].values()) or "", _problem_cell(t["problem"], tz)) for t in rows])
    online = sum(1 for t in rows if t["online"])
    print("\n%d 台终端, %d 在线 online, %d 离线 offline" % (len(rows), online, len(rows) - online))
    return OK


@command("terminals show")
def _show(args):
    from hub.services import terminals
    with store(args) as (cfg, db):
        t = terminals.require(db, args.device)
    tz = halltime.zone(cfg)
    keys = ("device_id", "window", "online", "transport", "firmware", "board", "caps",
            "provisioned_at", "last_seen", "journal_depth", "free_heap", "link_quality",
            "rssi", "printer_state", "uptime_s", "boot_counter", "config_version")
    print_fields([(k, halltime.show(t[k], tz) if k in ("provisioned_at", "last_seen") else t[k])
                  for k in keys])
    print_fields([("errors", ", ".join("%s=%d" % kv for kv in sorted(t["errors"].items())) or "0")])
    p = t["problem"]
    if p is None:
        print_fields([("problem", "-")])
    else:
        print_fields([("problem", "%s %s" % (p["code"], p["label"])),
                       ("problem_at", halltime.show(p["at"], tz)),
                       ("problem_since", "%s (%d times)" % (halltime.show(p["first_at"], tz),
                                                            p["count"])),
                       ("problem_via", p["via"]), ("problem_detail", p["detail"])])
    return OK


def _problem_cell(p, tz):
    return "" if p is None else "%s %s" % (p["code"], halltime.show(p["at"], tz)[11:19])


@command("terminals problems")
def _problems(args):
    from hub.services import problems
    with store(args) as (cfg, db):
        rows = problems.recent(db, max(1, args.limit))
    tz = halltime.zone(cfg)
    if args.json:
        for p in rows:
            print(json.dumps(p, ensure_ascii=False))
        return OK
    table(["时间 at", "终端 device", "已登记 known", "问题 problem", "次数 count", "线路 via",
           "说明 detail"],
          [(halltime.show(p["at"], tz), p["device_id"], "是 yes" if p["known"] else "否 no",
            "%s %s" % (p["code"], p["label"]), p["count"], p["via"], p["detail"]) for p in rows])
    if not rows:
        print("没有问题 no problems recorded")
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
    with store(args) as (cfg, db):
        key = terminals.rekey(db, args.device, actor="cli")
    print(key)
    print("New key for %s (shown once); the old key stops working at the terminal's next "
          "handshake: put this one into its config." % args.device, file=sys.stderr)
    provision.print_broker_login(cfg, args.device)
    return OK


@command("terminals remove")
def _remove(args):
    import sys
    from hub.services import broker_users, terminals
    with store(args) as (cfg, db):
        terminals.remove(db, args.device, actor="cli")
    had = broker_users.revoke_terminal(cfg, args.device)
    _done, words = broker_users.reload(cfg) if had else (True, "it had no broker user")
    print("终端 %s 已删除 removed: its key no longer opens a session; broker: %s"
          % (args.device, words))
    if not _done:
        print("the broker still lets %s in until it reloads" % args.device, file=sys.stderr)
    return OK
