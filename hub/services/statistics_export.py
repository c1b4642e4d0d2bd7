"""Statistics as a spreadsheet: CSV (UTF-8 with BOM, for Excel and WPS) and XLSX.

One table: a row per group, then the total, Chinese headers. Text cells come
from window business systems (matter and staff names, codes), so both
formats follow hub/csv_safe.py: a text starting with = + - @ tab or CR gets
a leading ' and is never a formula. In the XLSX every text is written as a
string cell (never a formula: openpyxl would store a text starting with =
as one), so long digit strings stay text there without the CSV's tab; and
characters XML cannot hold are replaced by U+FFFD instead of failing.

XLSX by openpyxl: it reads what it writes (the tests open the file with it),
is pure Python and maintained; these tables are a few hundred rows, so
xlsxwriter's speed on large sheets buys nothing.
"""

import csv
import io

from hub import csv_safe
from protocol import domain

BY_TITLES = {"window": "窗口", "staff": "工作人员", "matter": "事项", "dept": "部门",
             "day": "日期", "week": "周 (周一)", "month": "月份"}


def _columns(by):
    levels = [("%d %s" % (lv, domain.LEVEL_NAMES[lv]), ("levels", str(lv))) for lv in domain.LEVELS]
    return ([(BY_TITLES[by], ("key",)), ("名称", ("name",)), ("评价数", ("ratings",))] + levels
            + [("平均等级", ("average_level",)), ("得分", ("score",)), ("差评数", ("bad",)),
               ("差评率", ("bad_rate",)), ("办结件数", ("finished_cases",)),
               ("评价件数", ("rated_cases",)), ("主动评价率", ("active_rate",)),
               ("评价器", ("channels", "buttons")), ("二维码", ("channels", "qr")),
               ("追加评价", ("channels", "follow_up")), ("其他渠道", ("channels", "other")),
               ("整改件数", ("rectification", "opened")), ("办结整改", ("rectification", "closed")),
               ("按时办结", ("rectification", "on_time")), ("超期", ("rectification", "overdue")),
               ("整改率", ("rectification", "rate")), ("按时率", ("rectification", "on_time_rate"))])


def _get(row, path):
    v = row
    for p in path:
        v = v.get(p) if isinstance(v, dict) else None
    return v


def table(result):
    """-> (headers, rows): the groups then the total (its key 合计)."""
    cols = _columns(result["by"])
    rows = [[_get(r, path) for _t, path in cols] for r in result["rows"]]
    total = [_get(result["total"], path) for _t, path in cols]
    total[0] = "合计"
    return [t for t, _p in cols], rows + [total]


def csv_bytes(result):
    headers, rows = table(result)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(headers)
    for r in rows:
        w.writerow(["" if v is None else csv_safe.cell(v) for v in r])
    return out.getvalue().encode("utf-8-sig")


def _xlsx_text(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return "'" + text if text.startswith(csv_safe.FORMULA_START) else text


def xlsx_bytes(result, title="统计"):
    from openpyxl import Workbook
    headers, rows = table(result)
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = title[:31]
    ws.append(headers)
    for r in rows:
        ws.append([None] * len(r))
        for col, v in enumerate(r, start=1):
            cell = ws.cell(row=ws.max_row, column=col)
            if isinstance(v, str):
                cell.value = _xlsx_text(v)
                cell.data_type = "s"        # a string cell, whatever it starts with
            else:
                cell.value = v
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
