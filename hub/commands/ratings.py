"""`pingjia ratings [list|show]` — ratings as stored, with the API's filters."""

import json

from hub import halltime
from hub.commands import OK
from hub.commands.common import add_config_args, command, print_fields, store, table


def add_filters(p):
    p.add_argument("--window")
    p.add_argument("--staff", help="staff id (工号)")
    p.add_argument("--device")
    p.add_argument("--level", type=int, choices=range(1, 6), metavar="1..5",
                   help="5 非常满意 .. 1 非常不满意")
    p.add_argument("--label", type=int, help="reason label code, e.g. 213")
    p.add_argument("--bad", action="store_true", help="only 差评 (levels 2 and 1)")
    p.add_argument("--flagged", action="store_true", help="only ratings with fraud signals")
    p.add_argument("--since", help="received at or after, e.g. 2024-06-11 or '2024-06-11 08:00'")
    p.add_argument("--until", help="received before")


def filters_of(args, tz):
    """The filter options -> the read model's filters (times in the hall's zone)."""
    return {"window": args.window, "staff_id": args.staff, "device_id": args.device,
            "level": args.level, "label": args.label, "bad": True if args.bad else None,
            "flagged": True if args.flagged else None,
            "since": halltime.parse_cli(args.since, "--since", tz) if args.since else None,
            "until": halltime.parse_cli(args.until, "--until", tz) if args.until else None}


def register(sub):
    p = sub.add_parser("ratings", help="list ratings (filters: window, staff, level, bad, time)")
    add_filters(p)
    p.add_argument("--limit", type=int, default=50, help="how many, newest first (max 500)")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    add_config_args(p)
    p.set_defaults(run=_list)
    rsub = p.add_subparsers(dest="ratings_cmd", metavar="ACTION")
    sh = rsub.add_parser("show", help="one rating by id (DEVICE:SEQ)")
    sh.add_argument("rating_id")
    add_config_args(sh)
    sh.set_defaults(run=_show)


@command("ratings")
def _list(args):
    from hub.services import ratings
    with store(args) as (cfg, db):
        tz = halltime.zone(cfg)
        result = ratings.query(db, filters_of(args, tz), page=args.page, size=args.limit)
    items = result["items"]
    if args.json:
        for r in items:
            print(json.dumps(ratings.view(r, tz), ensure_ascii=False))
        return OK
    table(["评价 rating", "时间 time", "窗口 window", "工作人员 staff", "办件流水号 case",
           "等级 level", "原因 reasons", "标记 flags"],
          [(r["id"], halltime.show(r["rated_at"], tz), r["window"],
            "%s %s" % (r["staff_id"] or "", r["staff_name"] or ""), r["case_serial"],
            "%d %s%s" % (r["level"], r["level_name"], " 差评" if r["bad"] else ""),
            " ".join("%d" % lb["code"] for lb in r["labels"]) + (" 其他" if r["other"] else ""),
            ",".join(r["fraud_flags"])) for r in items])
    print("\n第 %d 页, 共 %d 条 (page %d, %d matching)" % (result["page"], result["total"],
                                                      result["page"], result["total"]))
    return OK


@command("ratings show")
def _show(args):
    from hub.errors import HubError
    from hub.services import ratings
    with store(args) as (cfg, db):
        r = ratings.get(db, args.rating_id)
    if r is None:
        raise HubError("not_found", "rating %r does not exist; ids look like DEVICE:SEQ, see "
                       "`pingjia ratings`" % args.rating_id, 404)
    def text(key, value):
        if key == "labels":
            return " ".join("%d %s" % (lb["code"], lb["text"]) for lb in value)
        return ",".join(value) if isinstance(value, list) else value
    print_fields([(k, text(k, v)) for k, v in ratings.view(r, halltime.zone(cfg)).items()])
    return OK
