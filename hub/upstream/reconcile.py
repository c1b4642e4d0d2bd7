"""What the hub sent against what upstream holds, and the monthly upload file.

reconcile(): for the ratings received in a period, asks upstream (adapter
.query, once per case) and sorts every rating into one of:
  matched            accepted here, held upstream under the id we kept
  held_not_settled   upstream holds it, our outbox still waits (an answer
                     was lost; the next relay pass settles it as a duplicate)
  missing_upstream   accepted here but upstream does not hold it: report it
                     (also a second visit's rating of a case: upstream keys
                     ratings by (projectNo, assessNumber), knows no visit,
                     and holds only the one it took first)
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


_RATINGS = ("SELECT o.ref AS rating_id, o.state, o.upstream_id, o.last_error, r.eid, r.case_serial "
            "FROM outbox o JOIN ratings r ON r.rating_id = o.ref WHERE o.kind = 'rating' AND ")


def _ratings(db, since_ms, until_ms):
    return list(db.query(_RATINGS + "r.received_at >= ? AND r.received_at < ? ORDER BY r.received_at",
                         (since_ms, until_ms)))


def _of_case(db, case_serial):
    """Every forwarded rating of a case, whenever received (a visit before the period counts)."""
    return list(db.query(_RATINGS + "r.case_serial = ? ORDER BY r.received_at", (case_serial,)))


def reconcile(db, adapter, since_ms, until_ms):
    """-> {"counts": {kind: n}, "items": [{rating_id, case_serial, kind, detail}]}."""
    rows = _ratings(db, since_ms, until_ms)
    upstream, claims = {}, {}
    for serial in sorted({r["case_serial"] for r in rows}):
        upstream[serial] = held = adapter.query(serial)
        if not isinstance(held, Outcome):
            claims[serial] = _claimant(_of_case(db, serial), held["ratings"].get(outbox.FIRST_RATING))
    counts = dict.fromkeys(KINDS, 0)
    items = []
    for r in rows:
        held = upstream[r["case_serial"]]
        claimant = claims.get(r["case_serial"])
        if isinstance(held, Outcome):
            kind, detail = "unanswered", held.reason
        elif claimant["rating_id"] == r["rating_id"]:
            kind, detail = _classify(r, held["ratings"].get(outbox.FIRST_RATING))
        else:
            kind, detail = _classify(r, None)
            if kind == "missing_upstream":
                detail = ("upstream holds one rating of case %s (assessNumber %d), rating %s's; it keys "
                          "ratings by case, not visit, and did not take this one"
                          % (r["case_serial"], outbox.FIRST_RATING, claimant["rating_id"]))
        counts[kind] += 1
        if kind != "matched":
            items.append({"rating_id": r["rating_id"], "case_serial": r["case_serial"], "kind": kind,
                          "detail": detail})
    return {"counts": counts, "items": items}


def _claimant(rows, up_id):
    """The hub's rating that the platform's one first rating of a case is.

    The platform keys ratings by (projectNo, assessNumber) and knows no
    visit, so all the hub's ratings of a case (one per visit) share one key.
    The platform's is the one accepted under the id it holds (the earliest,
    when the others were answered "already held" under the same id), else
    the earliest. The others are not held, whatever the relay was told."""
    for r in rows:
        if r["state"] == "accepted" and up_id is not None and r["upstream_id"] == up_id:
            return r
    return rows[0]


def _classify(r, up_id):
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
