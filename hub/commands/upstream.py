"""`pingjia upstream status|dead|replay|reconcile|export|labels|run` — forwarding to the province."""

import time

from hub import halltime
from hub.commands import OK, REFUSED, USAGE
from hub.commands.common import add_config_args, command, fail, load_config, open_store, table


def register(sub):
    p = sub.add_parser("upstream", help="forwarding to the provincial 好差评 platform: backlog, "
                                        "dead letters, replay, reconciliation, monthly export")
    usub = p.add_subparsers(dest="upstream_cmd", metavar="ACTION")
    usub.required = True

    s = usub.add_parser("status", help="outbox backlog by state (待转发 / 已接收 / 被拒绝)")
    add_config_args(s)
    s.set_defaults(run=_status)

    d = usub.add_parser("dead", help="dead letters: what the platform rejected, with its reason")
    add_config_args(d)
    d.add_argument("--limit", type=int, default=200)
    d.set_defaults(run=_dead)

    r = usub.add_parser("replay", help="send dead letters again after the cause is fixed")
    add_config_args(r)
    g = r.add_mutually_exclusive_group(required=True)
    g.add_argument("--id", type=int, action="append", dest="ids", metavar="N", help="outbox id (repeatable)")
    g.add_argument("--all", action="store_true", help="every dead letter")
    r.set_defaults(run=_replay)

    c = usub.add_parser("reconcile", help="compare what the hub sent with what the platform holds")
    add_config_args(c)
    c.add_argument("--since", required=True, help="2026-11-01 or 2026-11-01 08:00")
    c.add_argument("--until", required=True)
    c.set_defaults(run=_reconcile)

    e = usub.add_parser("export", help="monthly batch-upload file (CSV, the province's field names)")
    add_config_args(e)
    e.add_argument("--month", required=True, help="YYYY-MM")
    e.add_argument("file")
    e.set_defaults(run=_export)

    lb = usub.add_parser("labels", help="the platform's national label list against the hub's label set "
                                        "(Shandong getnorm); --apply makes it a new label-set version")
    add_config_args(lb)
    lb.add_argument("--apply", action="store_true", help="after checking the difference: push the "
                                                          "platform's list to the terminals as a new version")
    lb.set_defaults(run=_labels)

    x = usub.add_parser("run", help="run the relay alone (the hub runs it itself when upstream is set)")
    add_config_args(x)
    x.set_defaults(run=_run)


def _adapter(cfg):
    from hub.upstream import make_adapter
    from hub.upstream.settings import adapter_settings
    settings = adapter_settings(cfg)
    if settings is None:
        return None
    return make_adapter(settings)


class _NoUpstream(Exception):
    pass


def _require_adapter(cfg, why):
    adapter = _adapter(cfg)
    if adapter is None:
        raise _NoUpstream("upstream.adapter is \"none\" in %s: %s" % (cfg.source, why))
    return adapter


def _config_and_adapter(args, prog, why):
    """-> (cfg, adapter), or (None, exit code) after saying that forwarding is off."""
    cfg = load_config(args)
    try:
        return cfg, _require_adapter(cfg, why)
    except _NoUpstream as e:
        return None, fail(prog, str(e), USAGE)


@command("upstream status")
def _status(args):
    from hub.upstream import outbox
    cfg = load_config(args)
    b = outbox.backlog(open_store(cfg))
    table(["状态 state", "数量 count"], [["待转发 pending", b["pending"]], ["发送中 sent", b["sent"]],
                                         ["已接收 accepted", b["accepted"]], ["被拒绝 rejected", b["rejected"]]])
    if b["oldest_waiting_ms"]:
        print("最早待转发 oldest waiting: %s"
              % halltime.show(b["oldest_waiting_ms"], halltime.zone(cfg)))
    if cfg.upstream.adapter == "none":
        print("upstream.adapter = \"none\": forwarding is off; set [upstream] in %s" % cfg.source)
    return OK


@command("upstream dead")
def _dead(args):
    from hub.upstream import outbox
    cfg = load_config(args)
    rows = outbox.dead_letters(open_store(cfg), args.limit)
    tz = halltime.zone(cfg)
    table(["id", "类型 kind", "编号 ref", "尝试 attempts", "时间 at", "原因 reason"],
          [[r["id"], r["kind"], r["ref"], r["attempts"], halltime.show(r["updated_at"], tz),
            r["last_error"]] for r in rows])
    if rows:
        print("fix the cause, then: pingjia upstream replay --id N (or --all)")
    return OK


@command("upstream replay")
def _replay(args):
    from hub.upstream import outbox
    n = outbox.replay(open_store(load_config(args)), int(time.time() * 1000), None if args.all else args.ids)
    if args.all and not n:
        # No dead letter is good news, not a refusal: scripts run this after a fix.
        print("nothing to replay: no dead letters (0 dead letter(s) back in the queue)")
        return OK
    print("%d dead letter(s) back in the queue" % n)
    return OK if n else REFUSED


def _period(since, until, tz):
    a, b = halltime.parse_cli(since, "--since", tz), halltime.parse_cli(until, "--until", tz)
    if b <= a:
        raise ValueError("--until must be after --since")
    return a, b


@command("upstream reconcile")
def _reconcile(args):
    from hub.upstream.reconcile import KINDS, reconcile
    cfg = load_config(args)
    try:
        adapter = _require_adapter(cfg, "nothing to compare with")
        since, until = _period(args.since, args.until, halltime.zone(cfg))
    except (ValueError, _NoUpstream) as e:
        return fail("upstream reconcile", str(e), USAGE)
    report = reconcile(open_store(cfg), adapter, since, until)
    table(["结果 result", "数量 count"], [[k, report["counts"][k]] for k in KINDS])
    if report["items"]:
        print()
        table(["评价 rating", "办件 case", "结果 result", "说明 detail"],
              [[i["rating_id"], i["case_serial"], i["kind"], i["detail"]] for i in report["items"]])
    bad = report["counts"]["missing_upstream"] + report["counts"]["id_mismatch"]
    return REFUSED if bad else OK


@command("upstream export")
def _export(args):
    import calendar
    from hub.upstream.reconcile import export_month
    cfg, adapter = _config_and_adapter(args, "upstream export", "the file needs the province's field names")
    if cfg is None:
        return adapter
    try:
        year, month = (int(x) for x in args.month.split("-"))
        days = calendar.monthrange(year, month)[1]
    except ValueError:
        return fail("upstream export", "--month %r: write it as 2026-11" % args.month, USAGE)
    since = halltime.parse_cli("%04d-%02d-01" % (year, month), "--month", halltime.zone(cfg))
    until = since + days * 86400 * 1000
    n = export_month(open_store(cfg), adapter, since, until, args.file)
    print("%d rating(s) written to %s" % (n, args.file))
    return OK


@command("upstream labels")
def _labels(args):
    from hub.upstream import labels
    from hub.upstream.base import Outcome
    cfg, adapter = _config_and_adapter(args, "upstream labels", "there is no platform to ask")
    if cfg is None:
        return adapter
    got = labels.fetch(adapter)
    adapter.close()
    if isinstance(got, Outcome):
        return fail("upstream labels", "the platform's label list could not be fetched: %s" % got.reason, REFUSED)
    db = open_store(cfg)
    d = labels.diff(labels.hub_labels(db), got)
    rows = ([["平台有、本机无 missing", c, t] for c, t in d["missing"]]
            + [["本机有、平台无 extra", c, t] for c, t in d["extra"]]
            + [["名称不同 renamed", c, "%s → %s" % (a, b)] for c, a, b in d["renamed"]])
    if not rows:
        print("标签一致 the hub's label set matches the platform's list (%d labels)" % len(got))
        return OK
    table(["差异 difference", "代码 code", "名称 text"], rows)
    if not args.apply:
        print("check the difference, then: pingjia upstream labels --apply")
        return OK
    new = labels.apply(db, got)
    print("新配置版本 new configuration version %d: the platform's %d labels; terminals get it when online"
          % (new["version"], len(got)))
    return OK


@command("upstream run")
def _run(args):
    from hub.app import configure_logging
    from hub.upstream.relay import Relay
    cfg, adapter = _config_and_adapter(args, "upstream run", "set the province first")
    if cfg is None:
        return adapter
    configure_logging(cfg.hub.log_level)
    open_store(cfg, must_exist=False).close()
    relay = Relay(cfg.db_path, adapter, in_flight=cfg.upstream.in_flight).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        relay.stop()
    return OK
