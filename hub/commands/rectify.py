"""`pingjia rectify list|show|move` — rectification of bad reviews (差评整改)."""

import getpass
import json

from hub import halltime
from hub.commands import OK
from hub.commands.common import action, arg, command, print_fields, store, table


def register(sub):
    p = sub.add_parser("rectify", help="rectification of bad reviews (差评整改): list, show, "
                                       "move an item to its next state")
    rsub = p.add_subparsers(dest="rectify_cmd", metavar="ACTION")
    rsub.required = True
    action(rsub, "list", "items, newest first, with the open and overdue counts", _list,
           arg("--state", choices=("pending_check", "contacted", "rectifying", "closed",
                                   "invalid")),
           arg("--overdue", action="store_true", help="only items past a deadline"),
           arg("--window"), arg("--staff", help="staff id (工号)"),
           arg("--since", help="opened at or after, e.g. 2026-03-01"),
           arg("--until", help="opened before"),
           arg("--limit", type=int, default=50), arg("--page", type=int, default=1),
           arg("--json", action="store_true", help="JSON lines instead of a table"))
    action(rsub, "show", "one item with its history", _show, arg("id", type=int))
    action(rsub, "move", "move an item: contacted, rectifying, closed (--note), invalid "
                         "(--reason, --note)", _move,
           arg("id", type=int),
           arg("to", choices=("contacted", "rectifying", "closed", "invalid")),
           arg("--reason", choices=("mistaken", "malicious"), help="for invalid: 误评 / 恶意评价"),
           arg("--note", help="evidence (invalid), what was done (closed); no phone or ID numbers"),
           arg("--by", help="who (default: the OS user running this command)"))


def _setup(cfg, db):
    from hub.services import rectification as rect
    rules = rect.rules(cfg)
    rect.schedule(db, rules)
    return rect, rules, halltime.zone(cfg)


@command("rectify list")
def _list(args):
    with store(args) as (cfg, db):
        rect, rules, tz = _setup(cfg, db)
        out = rect.query(db, args.state, True if args.overdue else None, args.window, args.staff,
                         halltime.parse_cli(args.since, "--since", tz) if args.since else None,
                         halltime.parse_cli(args.until, "--until", tz) if args.until else None,
                         args.page, args.limit, rules_=rules)
    if args.json:
        for i in out["items"]:
            print(json.dumps(i, ensure_ascii=False))
        return OK
    table(["ID", "状态 state", "差评 rating", "窗口 window", "工作人员 staff", "事项 matter",
           "联系期限 contact by", "办结期限 close by", "超期 overdue"],
          [(i["id"], i["state_name"], "%s %d" % (i["rating_id"], i["level"]), i["window"],
            "%s %s" % (i["staff_id"] or "", i["staff_name"] or ""), i["matter_name"] or "",
            halltime.show(i["contact_due"], tz), halltime.show(i["close_due"], tz),
            ("超期 " + ("联系" if i["overdue_contact"] else "办结")) if i["overdue"] else "")
           for i in out["items"]])
    c = out["counts"]
    print("\n共 %d 件, 未办结 %d, 超期 %d (%d matching, %d open, %d overdue)"
          % (out["total"], c["open"], c["overdue"], out["total"], c["open"], c["overdue"]))
    return OK


def _fields(item, tz):
    for k, v in item.items():
        if k == "history":
            continue
        if k in ("opened_at", "contact_due", "close_due", "contacted_at", "closed_at",
                 "updated_at"):
            v = halltime.show(v, tz)
        elif k == "labels":
            v = " ".join("%d %s" % (lb["code"], lb["text"]) for lb in v)
        yield k, v


@command("rectify show")
def _show(args):
    with store(args) as (cfg, db):
        rect, rules, tz = _setup(cfg, db)
        item = rect.require(db, args.id, rules_=rules)
    print_fields(list(_fields(item, tz)))
    print()
    table(["时间 at", "人员 by", "从 from", "到 to", "原因 reason", "说明 note"],
          [(halltime.show(s["at"], tz), s["actor"], s["from_state"], s["to_state"],
            s["reason"] or "", s["note"] or "") for s in item["history"]])
    return OK


@command("rectify move")
def _move(args):
    with store(args) as (cfg, db):
        rect, rules, tz = _setup(cfg, db)
        by = args.by or "cli:%s" % getpass.getuser()
        item = rect.transition(db, args.id, args.to, by, args.note, args.reason, rules_=rules)
    print("%d: %s (%s), by %s" % (item["id"], item["state"], item["state_name"], by))
    return OK
