"""`pingjia export-csv --since --until FILE` — ratings as CSV for Excel / WPS.

UTF-8 with a byte-order mark (what Excel needs to show Chinese correctly),
one row per rating, oldest first, read in pages so a year of ratings never
sits in memory. FILE "-" writes to standard output. The file is written to
FILE.tmp and renamed at the end, so a failed export never leaves half a file
looking like a whole one. Text cells follow hub/csv_safe.py (no formulas,
long digit strings kept as text).
"""

import contextlib
import csv
import os
import sys

from hub import csv_safe, halltime
from hub.commands import OK
from hub.commands.common import add_config_args, command, load_config, open_store
from hub.commands.ratings import add_filters, filters_of

COLUMNS = (
    ("评价编号", "id"), ("评价时间", "rated_at"), ("窗口", "window"), ("终端", "device_id"),
    ("办件流水号", "case_serial"), ("办理次数", "visit"), ("事项编码", "matter_code"),
    ("事项名称", "matter_name"), ("工号", "staff_id"), ("工作人员", "staff_name"),
    ("评价等级", "level"), ("等级名称", "level_name"), ("差评", "bad"), ("评价标签", "labels"),
    ("其他原因", "other"), ("渠道", "channel"), ("来源", "origin"), ("状态", "status"),
    ("终端时间", "device_time"), ("显示到按键毫秒", "display_to_press_ms"), ("疑似刷评标记", "fraud_flags"),
)


def register(sub):
    p = sub.add_parser("export-csv", help="export ratings to a CSV file (UTF-8 with BOM, for Excel)")
    add_filters(p)
    p.add_argument("file", metavar="FILE", help="output file, or - for standard output")
    add_config_args(p)
    p.set_defaults(run=run)


def _cell(key, value):
    if key == "labels":
        return ";".join("%d %s" % (lb["code"], lb["text"]) for lb in value)
    if key == "fraud_flags":
        return ";".join(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    # Names and codes come from window business systems: csv_safe keeps a
    # spreadsheet from running them as formulas or rounding them as numbers.
    return "" if value is None else csv_safe.cell(value)


def write(db, filters, out, tz):
    """Write the header and every matching rating to `out` -> rows written."""
    from hub.services import ratings
    w = csv.writer(out)
    w.writerow([title for title, _ in COLUMNS])
    n, cursor = 0, None
    while True:
        page = ratings.query(db, filters, size=ratings.MAX_SIZE, cursor=cursor, order="asc")
        for r in page["items"]:
            shown = ratings.view(r, tz)
            w.writerow([_cell(key, shown[key]) for _, key in COLUMNS])
            n += 1
        cursor = page["next_cursor"]
        if not cursor:
            return n


@command("export-csv")
def run(args):
    cfg = load_config(args)
    tz = halltime.zone(cfg)
    filters = filters_of(args, tz)
    with contextlib.closing(open_store(cfg)) as db:
        if args.file == "-":
            n = write(db, filters, sys.stdout, tz)
        else:
            tmp = args.file + ".tmp"
            try:
                with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
                    n = write(db, filters, f, tz)
                os.replace(tmp, args.file)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
    if args.file != "-":
        print("已导出 %d 条评价 → %s (exported %d ratings)" % (n, args.file, n), file=sys.stderr)
    return OK
