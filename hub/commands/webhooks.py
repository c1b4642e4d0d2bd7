"""`pingjia webhooks set|list|deliveries|replay|remove` — pushing events to client systems."""

import sys

from hub import halltime
from hub.commands import NOT_FOUND, OK, USAGE
from hub.commands.common import action, arg, command, fail, load_config, store, table


def register(sub):
    p = sub.add_parser("webhooks", help="webhooks: push every invitation change to a client "
                                        "system's URL (signed, retried until answered)")
    wsub = p.add_subparsers(dest="webhooks_cmd", metavar="ACTION")
    wsub.required = True
    action(wsub, "set", "give CLIENT a webhook at URL (prints its signing secret once)", _set,
           arg("client", help="an API client with a token (`pingjia token list`)"),
           arg("url", help="http(s) URL on a network [webhooks] allow lists"),
           arg("--events", metavar="TYPES",
               help="comma-separated: created, shown, rated, timed_out, cancelled, expired, "
                    "rejected, ... (default: every type)"),
           arg("--scope", choices=("own", "all"), default="own",
               help="own: invitations this client created (default); all: every invitation"),
           arg("--new-secret", action="store_true",
               help="for a client that has a webhook: issue a new secret (the old one stops)"))
    action(wsub, "list", "the webhooks, with their queue", _list)
    action(wsub, "deliveries", "deliveries, newest first", _deliveries,
           arg("--failed", action="store_true", help="only those parked as failed"),
           arg("--client", help="only this client's"),
           arg("--limit", type=int, default=100))
    r = action(wsub, "replay", "send deliveries again (after the receiver is fixed)", _replay,
               arg("id", nargs="?", type=int, help="a delivery id (`pingjia webhooks deliveries`)"),
               arg("--failed", action="store_true", help="every delivery parked as failed"))
    r.epilog = "Give a delivery ID or --failed."
    action(wsub, "remove", "delete CLIENT's webhook and its undelivered deliveries", _remove,
           arg("client"))


@command("webhooks set")
def _set(args):
    from hub.errors import HubError
    from hub.services import events, webhooks
    from hub.services.tokens import TokenStore
    cfg = load_config(args)
    if args.client not in TokenStore(cfg.tokens_path).clients():
        return fail("webhooks set", "client %r has no API token; create one first: `pingjia "
                    "token create %s`" % (args.client, args.client), NOT_FOUND)
    try:
        webhooks.check_url(args.url, cfg.webhooks.allow)
        types = events.parse_types(args.events, "--events")
    except HubError as e:
        return fail("webhooks set", e.message, USAGE)
    with store(args, must_exist=False) as (cfg, db):
        sub, secret = webhooks.set_subscription(db, args.client, args.url, types, args.scope,
                                                new_secret=args.new_secret)
    if secret is not None:
        print(secret)      # alone on stdout, so a script can capture it
        print("Webhook of %s set to %s. The secret above signs every delivery "
              "(header Pingjia-Signature, docs/HUB.md); give it to the client system — it is "
              "not shown again." % (args.client, args.url), file=sys.stderr)
    else:
        print("Webhook of %s set to %s (%s); secret unchanged."
              % (args.client, args.url, ", ".join(sub["events"])))
    return OK


@command("webhooks list")
def _list(args):
    from hub.services import webhooks
    with store(args) as (cfg, db):
        subs, counts = webhooks.subscriptions(db), webhooks.counts(db)
    tz = halltime.zone(cfg)
    rows = []
    for s in subs:
        c = counts.get(s["client"], {})
        rows.append((s["client"], s["url"], s["scope"], _types(s["events"]),
                     c.get("pending", 0) + c.get("sending", 0), c.get("failed", 0),
                     halltime.show(s["created_at"], tz)))
    table(["客户端 client", "URL", "范围 scope", "事件 events", "待发送 queued", "失败 failed",
           "创建时间 created"], rows)
    return OK


def _types(types):
    from hub.services import events
    if tuple(types) == events.TYPES:
        return "all"
    return ",".join(t.split(".", 1)[1] if t.startswith("invitation.") else t for t in types)


@command("webhooks deliveries")
def _deliveries(args):
    from hub.services import webhooks
    with store(args) as (cfg, db):
        rows = webhooks.deliveries(db, args.client, "failed" if args.failed else None, args.limit)
    tz = halltime.zone(cfg)
    table(["ID", "客户端 client", "事件 event", "类型 type", "邀请 invitation", "状态 state",
           "次数 attempts", "结果 last result", "下次 next attempt"],
          [(d["id"], d["client"], d["event_id"], d["type"], d["eid"], d["state"], d["attempts"],
            d["last_error"] or (d["last_status"] or ""),
            halltime.show(d["next_attempt_at"], tz) if d["state"] in ("pending", "sending")
            else "") for d in rows])
    return OK


@command("webhooks replay")
def _replay(args):
    from hub.services import webhooks
    if (args.id is None) == (not args.failed):
        return fail("webhooks replay", "give a delivery ID or --failed (not both)", USAGE)
    with store(args) as (_cfg, db):
        n = webhooks.replay(db, None if args.failed else [args.id])
    if args.id is not None and n == 0:
        return fail("webhooks replay", "delivery %d is not failed or delivered (or does not "
                    "exist); `pingjia webhooks deliveries` shows them" % args.id, NOT_FOUND)
    print("%d deliveries queued again; the hub sends them within a second." % n)
    return OK


@command("webhooks remove")
def _remove(args):
    from hub.services import webhooks
    with store(args) as (_cfg, db):
        dropped = webhooks.remove(db, args.client)
    print("Webhook of %s removed; %d undelivered deliveries dropped." % (args.client, dropped))
    return OK
