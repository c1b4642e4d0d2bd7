"""`pingjia backlog` — what is waiting, and where: one screen for hall IT.

  - invitations queued for a terminal (offline, or not yet acknowledged),
  - ratings still on terminals, not yet acknowledged (their journal depth),
  - ratings and cases waiting to go to the provincial platform (outbox),
    and those it rejected for good (to look at and replay).
Exit code 0 always (it is a report); use --json for monitoring scripts.
"""

import json

from hub import halltime
from hub.commands import OK
from hub.commands.common import add_config_args, command, store, table
from hub.services.invitation_states import QUEUED, sql_in


def register(sub):
    p = sub.add_parser("backlog", help="what is waiting: queued invitations, unacknowledged "
                                       "ratings on terminals, upstream outbox")
    p.add_argument("--json", action="store_true", help="one JSON object (for monitoring)")
    add_config_args(p)
    p.set_defaults(run=run)


def collect(db):
    queued = list(db.query(
        "SELECT window, COUNT(*) AS n, MIN(created_at) AS oldest FROM invitations "
        "WHERE %s GROUP BY window ORDER BY window" % sql_in((QUEUED,))))
    journals = list(db.query(
        "SELECT device_id, window, online, journal_depth, last_seen FROM terminals "
        "WHERE journal_depth > 0 ORDER BY journal_depth DESC, device_id"))
    outbox = list(db.query(
        "SELECT kind, state, COUNT(*) AS n, MIN(created_at) AS oldest, MAX(attempts) AS attempts "
        "FROM outbox WHERE state != 'accepted' GROUP BY kind, state ORDER BY kind, state"))
    return {"queued_invitations": queued, "terminal_journals": journals, "upstream_outbox": outbox}


@command("backlog")
def run(args):
    with store(args) as (cfg, db):
        data = collect(db)
    tz = halltime.zone(cfg)
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return OK
    print("等待终端显示的评价邀请 (invitations queued for a terminal)")
    table(["窗口 window", "数量 count", "最早 oldest"],
          [(r["window"], r["n"], halltime.show(r["oldest"], tz))
           for r in data["queued_invitations"]])
    print("\n终端上尚未确认的评价 (ratings on terminals not yet acknowledged)")
    table(["终端 device", "窗口 window", "状态 state", "待确认 journal", "最后联系 last seen"],
          [(r["device_id"], r["window"], "在线 online" if r["online"] else "离线 offline",
            r["journal_depth"], halltime.show(r["last_seen"], tz))
           for r in data["terminal_journals"]])
    print("\n待上报省级平台 (upstream outbox)")
    kinds = {"case": "办件 case", "rating": "评价 rating"}
    states = {"pending": "待发送 pending", "sent": "已发送 sent", "rejected": "被拒绝 rejected"}
    table(["类型 kind", "状态 state", "数量 count", "最早 oldest", "最多重试 attempts"],
          [(kinds.get(r["kind"], r["kind"]), states.get(r["state"], r["state"]), r["n"],
            halltime.show(r["oldest"], tz), r["attempts"]) for r in data["upstream_outbox"]])
    return OK
