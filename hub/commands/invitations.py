"""`pingjia invitations [list|show|create|cancel]` — evaluation invitations.

`create` lets hall IT try a terminal without the queue system: it shows a
test case on the window's terminal exactly as an API call would.
"""

from hub import halltime
from hub.commands import OK
from hub.commands.common import action, add_config_args, arg, command, print_fields, store, table
from hub.services import invitation_states as states

STATE_ZH = {s: "%s %s" % (zh, s) for s, zh in (
    (states.QUEUED, "排队"), (states.SHOWN, "显示中"), (states.RATED, "已评价"),
    (states.TIMED_OUT, "超时"), (states.SUPERSEDED, "被替换"), (states.CANCELLED, "已取消"),
    (states.EXPIRED, "已过期"))}


def register(sub):
    p = sub.add_parser("invitations", help="list, show, create or cancel evaluation invitations")
    add_config_args(p)
    p.set_defaults(run=_list, window=None, state=None, case=None, limit=50)
    isub = p.add_subparsers(dest="invitations_cmd", metavar="ACTION")
    action(isub, "list", "recent invitations, newest first (default)", _list,
           arg("--window"), arg("--state", choices=states.ALL),
           arg("--case", help="case serial (办件流水号)"), arg("--limit", type=int, default=50))
    action(isub, "show", "one invitation", _show, arg("eid"))
    action(isub, "create", "send an invitation to a window's terminal (e.g. to test it)", _create,
           arg("--window", required=True), arg("--case", required=True, help="case serial (办件流水号)"),
           arg("--visit", type=int, default=1), arg("--matter-code", default="TEST"),
           arg("--matter-name", default="测试事项"),
           arg("--staff-id", help="default: whoever is signed in at the window"),
           arg("--staff-name"))
    action(isub, "cancel", "cancel a queued or shown invitation", _cancel,
           arg("eid"), arg("--reason", default=""))


def _with_db(args, fn):
    with store(args) as (cfg, db):
        return halltime.zone(cfg), fn(db)


def _rows(invs, tz):
    return [(i["eid"], i["window"], i["case_serial"], i["visit"], i["matter_name"],
             "%s %s" % (i["staff_id"], i["staff_name"]), STATE_ZH.get(i["state"], i["state"]),
             halltime.show(i["created_at"], tz), halltime.show(i["closed_at"], tz),
             i["rating_id"] or "")
            for i in invs]


HEADERS = ["编号 eid", "窗口 window", "办件流水号 case", "次 visit", "事项 matter", "工作人员 staff",
           "状态 state", "创建 created", "结束 closed", "评价 rating"]


@command("invitations")
def _list(args):
    from hub.services import invitations
    tz, invs = _with_db(args, lambda db: invitations.query(db, args.window, args.state, args.case,
                                                           args.limit))
    table(HEADERS, _rows(invs, tz))
    return OK


@command("invitations show")
def _show(args):
    from hub.services import invitations
    tz, inv = _with_db(args, lambda db: invitations.require(db, args.eid))
    print_fields([(k, _shown(k, v, tz)) for k, v in inv.items()])
    return OK


def _shown(key, value, tz):
    """A field as hall IT reads it: times in the hall's zone, words as the API has them."""
    from hub.services import applicant_kinds
    if key.endswith("_at") or key == "deadline":
        return halltime.show(value, tz)
    if key == "applicant_kind":
        return applicant_kinds.name(value)
    return value


@command("invitations create")
def _create(args):
    from hub.services import invitations
    from hub.upstream.settings import case_check
    with store(args) as (cfg, db):
        inv = invitations.create(db, args.window, args.case, args.matter_code, args.matter_name,
                                 staff_id=args.staff_id, staff_name=args.staff_name,
                                 visit=args.visit, timeout_s=cfg.rating.invitation_timeout_s,
                                 expire_s=cfg.rating.invitation_expiry_s, client="cli",
                                 upstream=case_check(cfg))
    table(HEADERS, _rows([inv], halltime.zone(cfg)))
    if inv.get("notice"):
        print("注意 note: " + inv["notice"])
    print("The running hub sends it to the terminal within a second or two.")
    return OK


@command("invitations cancel")
def _cancel(args):
    from hub.services import invitations
    _, inv = _with_db(args, lambda db: invitations.cancel(db, args.eid, args.reason, actor="cli"))
    print("已取消 cancelled: %s (window %s, case %s)" % (inv["eid"], inv["window"], inv["case_serial"]))
    return OK
