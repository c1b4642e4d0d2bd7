"""What the hub sent against what upstream holds, and the monthly upload file.

reconcile(): for the ratings received in a period, asks upstream (adapter
.query, once per case) and sorts every rating into one of:
  matched            accepted here, held upstream under the id we kept
  held_not_settled   upstream holds it, our outbox still waits (an answer
                     was lost; the next relay pass settles it as a duplicate)
  missing_upstream   accepted here but upstream does not hold it: report it
  id_mismatch        both hold it, under different ids
  waiting            not yet forwarded (pending, sent) and not upstream
  dead               dead-lettered here (reason in `pingjia upstream dead`)
  unanswered         upstream could not be asked (its reason is kept)
export_month(): every rating forwarded in a month, one CSV line each in the
province's field names (UTF-8 with BOM so spreadsheet tools read Chinese;
text cells as hub/csv_safe.py writes them: no formulas, digits kept as text).
"""

import csv

from hub import csv_safe
from hub.upstream import outbox
from hub.upstream.base import Outcome

KINDS = ("matched", "held_not_settled", "missing_upstream", "id_mismatch", "waiting", "dead", "unanswered")


def _ratings(db, since_ms, until_ms):
    return list(db.query(
        "SELECT o.ref AS rating_id, o.state, o.upstream_id, o.last_error, r.eid, r.case_serial "
        "FROM outbox o JOIN ratings r ON r.rating_id = o.ref WHERE o.kind = 'rating' "
        "AND r.received_at >= ? AND r.received_at < ? ORDER BY r.received_at", (since_ms, until_ms)))


def reconcile(db, adapter, since_ms, until_ms):
    """-> {"counts": {kind: n}, "items": [{rating_id, case_serial, kind, detail}]}."""
    rows = _ratings(db, since_ms, until_ms)
    upstream = {}
    for serial in sorted({r["case_serial"] for r in rows}):
        upstream[serial] = adapter.query(serial)
    counts = dict.fromkeys(KINDS, 0)
    items = []
    for r in rows:
        held = upstream[r["case_serial"]]
        kind, detail = _classify(r, held)
        counts[kind] += 1
        if kind != "matched":
            items.append({"rating_id": r["rating_id"], "case_serial": r["case_serial"], "kind": kind,
                          "detail": detail})
    return {"counts": counts, "items": items}


def _classify(r, held):
    if isinstance(held, Outcome):
        return "unanswered", held.reason
    up_id = held["ratings"].get(1)
    if r["state"] == "rejected":
        return ("dead", r["last_error"] or "") if up_id is None else ("held_not_settled", "upstream holds %s" % up_id)
    if r["state"] == "accepted":
        if up_id is None:
            return "missing_upstream", "accepted as %s but upstream does not hold it" % r["upstream_id"]
        if r["upstream_id"] and up_id != r["upstream_id"]:
            return "id_mismatch", "ours %s, upstream %s" % (r["upstream_id"], up_id)
        return "matched", ""
    if up_id is not None:
        return "held_not_settled", "upstream holds %s" % up_id
    return "waiting", r["last_error"] or ""


def export_month(db, adapter, since_ms, until_ms, path):
    """Write the accepted ratings received in [since, until) -> number of lines."""
    n = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        writer = None
        for r in _ratings(db, since_ms, until_ms):
            if r["state"] != "accepted":
                continue
            eid, rating = outbox.rating_payload(db, r["rating_id"])
            case = outbox.case_payload(db, eid)
            if rating is None or case is None:
                continue
            line = adapter.export_row(case, rating)
            if writer is None:
                writer = csv.DictWriter(f, fieldnames=list(line))
                writer.writeheader()
            writer.writerow({k: csv_safe.cell(v) for k, v in line.items()})
            n += 1
    return n
