"""`pingjia stats --by window --from 2026-03-01 --to 2026-04-01 [--csv FILE|--xlsx FILE]`."""

import json
import os

from hub import halltime
from hub.commands import OK
from hub.commands.common import action, arg, command, store, table


def register(sub):
    action(sub, "stats", "statistics per window, staff, matter, department, day, week or "
                         "month: counts, average, score, rates; CSV or XLSX", _run,
           arg("--by", default="window", choices=("window", "staff", "matter", "dept", "day",
                                                  "week", "month")),
           arg("--from", dest="since", help="start, e.g. 2026-03-01 (default: today)"),
           arg("--to", dest="until", help="end, exclusive (default: a day after --from)"),
           arg("--window", help="only this window"),
           arg("--csv", metavar="FILE", help="write a CSV (UTF-8 with BOM) instead of printing"),
           arg("--xlsx", metavar="FILE", help="write an XLSX instead of printing"),
           arg("--json", action="store_true", help="one JSON object"))


def _write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _pct(v):
    return "" if v is None else "%.1f%%" % (v * 100)


@command("stats")
def _run(args):
    from hub.services import rectification, statistics, statistics_cache, statistics_export
    with store(args) as (cfg, db):
        tz = halltime.zone(cfg)
        a, b = statistics.period(
            halltime.parse_cli(args.since, "--from", tz) if args.since else None,
            halltime.parse_cli(args.until, "--to", tz) if args.until else None, tz)
        rectification.schedule(db, rectification.rules(cfg))
        if args.window is None:
            statistics_cache.fill(db, args.by, a, b, cfg.hall.tz_offset_minutes * 60000)
        result = statistics.for_config(db, cfg, args.by, a, b, args.window)
    if args.csv:
        _write(args.csv, statistics_export.csv_bytes(result))
    if args.xlsx:
        _write(args.xlsx, statistics_export.xlsx_bytes(result))
    if args.csv or args.xlsx:
        print("已导出 %d 行 (%s)" % (len(result["rows"]), ", ".join(p for p in (args.csv, args.xlsx)
                                                                  if p)))
        return OK
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return OK
    rows = result["rows"] + [dict(result["total"], key="合计")]
    table(["分组 group", "名称 name", "评价 ratings", "平均 avg", "得分 score", "差评率 bad",
           "主动评价率 active", "评价器/二维码/追加", "整改率 rect.", "按时率 on time"],
          [(r["key"], r["name"] or "", r["ratings"], r["average_level"] or "", r["score"] or "",
            _pct(r["bad_rate"]), _pct(r["active_rate"]),
            "%d/%d/%d" % (r["channels"]["buttons"], r["channels"]["qr"],
                          r["channels"]["follow_up"]),
            _pct(r["rectification"]["rate"]), _pct(r["rectification"]["on_time_rate"]))
           for r in rows])
    print("\n%s – %s, %s" % (halltime.show(a, tz), halltime.show(b, tz),
                             cfg.statistics.score_preset))
    return OK
