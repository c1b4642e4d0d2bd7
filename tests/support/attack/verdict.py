"""The verdict of the combined attack run: what the terminals recorded
(the witness), what the hub stored (its SQLite, read through a connection of
our own: only committed rows), what the platform's ledger holds, and what
the attackers counted -> figures and violations.

    figures, violations = judge(evidence)

A violation is a sentence; the run fails on any.
"""

import collections
import sqlite3

ACCEPTED = "accepted"


def _rows(db_path, sql, params=()):
    conn = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _rating_checks(ev, fig, bad):
    witnessed = ev["witness"].ratings
    stored = _rows(ev["db_path"], "SELECT device_id, seq, case_serial, visit, status FROM ratings")
    times = collections.Counter((d, s) for d, s, _c, _v, _st in stored)
    missing = [k for k in witnessed if times[k] == 0]
    doubled = [k for k in witnessed if times[k] > 1]
    made_up = [k for k in times if k not in witnessed]
    fig["ratings pressed (journaled on the terminals)"] = len(witnessed)
    fig["ratings stored at the hub"] = len(stored)
    fig["  of the pressed: stored exactly once"] = sum(1 for k in witnessed if times[k] == 1)
    fig["  refused by the hub (kept for review, not forwarded)"] = sum(
        1 for r in stored if r[4] != ACCEPTED)
    if missing:
        bad.append("%d pressed ratings never stored at the hub: %s" % (len(missing), missing[:10]))
    if doubled:
        bad.append("%d pressed ratings stored more than once: %s" % (len(doubled), doubled[:10]))
    if made_up:
        bad.append("%d ratings stored that no terminal recorded (forged): %s"
                   % (len(made_up), made_up[:10]))
    return [r for r in stored if r[4] == ACCEPTED]


def _ledger_checks(ev, accepted, fig, bad):
    ledger = ev["platform"].ledger.all_ratings()
    held = collections.Counter((r["project_no"], r["assess_number"]) for r in ledger)
    want = collections.Counter((c, v or 1) for _d, _s, c, v, _st in accepted)
    lost = [k for k in want if held[k] == 0]
    doubled = [k for k in want if held[k] > want[k]]
    cases = {r[0] for r in _rows(ev["db_path"], "SELECT case_serial FROM invitations")}
    foreign = [k for k in held if k not in want]
    fig["ratings held by the platform"] = len(ledger)
    fig["  pushes the platform absorbed as repeats"] = sum(r["attempts"] - 1 for r in ledger)
    if lost:
        bad.append("%d accepted ratings never reached the platform: %s" % (len(lost), lost[:10]))
    if doubled:
        bad.append("%d ratings held twice by the platform: %s" % (len(doubled), doubled[:10]))
    if foreign:
        unknown = [k for k in foreign if k[0] not in cases]
        bad.append("%d ratings at the platform the hub never accepted (%d for cases it never "
                   "had): %s" % (len(foreign), len(unknown), foreign[:10]))
    outbox = dict(_rows(ev["db_path"], "SELECT state, COUNT(*) FROM outbox GROUP BY state"))
    fig["outbox rows by state"] = outbox
    if outbox.get("rejected"):
        dead = _rows(ev["db_path"], "SELECT kind, ref, last_error FROM outbox WHERE state = 'rejected'")
        bad.append("%d dead letters upstream: %s" % (len(dead), dead[:5]))
    if outbox.get("pending") or outbox.get("sent"):
        bad.append("the outbox did not drain: %s" % outbox)


def _cut_off_checks(ev, fig, bad):
    """Posted invitations no terminal showed, outside the windows of chaos
    (hub killed, broker restarted: those are owed to the chaos, not the
    attacker) -> for the targeted terminals, cases lost to spoofing."""
    work, quiet = ev["business"], ev["chaos_windows"]
    state = dict(_rows(ev["db_path"], "SELECT eid, state FROM invitations"))
    # Replaced or withdrawn through the API (schemathesis may post to a real
    # window, or cancel): closed by a business system, not cut off by an attacker.
    never = [(eid, p) for eid, p in work.posted.items() if eid not in work.shown
             and state.get(eid) not in ("superseded", "cancelled")]
    in_chaos = [(eid, p) for eid, p in never if any(a <= p["at"] <= b for a, b in quiet)]
    lost = [(eid, p["device"]) for eid, p in never if (eid, p) not in in_chaos
            and p["device"] in ev["targets"]]
    fig["cases posted by the business system"] = len(work.posted)
    fig["  never on a screen (during chaos / otherwise)"] = "%d / %d" % (len(in_chaos),
                                                                       len(never) - len(in_chaos))
    fig["cases lost to spoofing (targeted terminals)"] = len(lost)
    fig["business posts refused by the hub (code: n)"] = dict(work.refused)
    if lost:
        bad.append("%d cases of the targeted terminals never reached their screen: %s"
                   % (len(lost), lost[:10]))
    per_device = collections.Counter(d for (d, _s) in ev["witness"].ratings)
    fig["ratings pressed per terminal"] = dict(sorted(per_device.items()))
    for device in ev["targets"]:
        if per_device[device] == 0:
            bad.append("targeted terminal %s recorded no rating at all: cut off" % device)


def _api_checks(ev, fig, bad):
    answers = ev["answers"]
    fig["HTTP answers by status"] = dict(sorted(answers.items()))
    fig["schemathesis rounds"] = ev["api"].rounds
    fig["schemathesis check failures"] = len(ev["api"].schema_failures)
    fivexx = sum(n for code, n in answers.items() if code.startswith("5"))
    if fivexx:
        bad.append("%d HTTP answers were a 5xx" % fivexx)
    failures = ev["api"].schema_failures
    if failures:
        bad.append("%d schemathesis check failures, the first: %s"
                   % (len(failures), failures[0][:1500]))


def _attack_checks(ev, fig, bad):
    counts = ev["counts"]
    for name in sorted(counts):
        fig["attack " + name] = dict(counts[name])
    for name, c in counts.items():
        if c.get("ARRIVED at the hub's topic"):
            bad.append("%s: the broker let %d forged packets through"
                       % (name, c["ARRIVED at the hub's topic"]))
        if c.get("ACCEPTED"):
            bad.append("%s: the broker accepted the login %d times" % (name, c["ACCEPTED"]))
    connects = counts["hub's connects to the broker, seen live"]["n"]
    if connects > ev["mqtt_chaos"]:
        bad.append("the hub connected to the broker %d times while it was watched; the chaos "
                   "explains %d: something else dropped it (another client with its id?)"
                   % (connects, ev["mqtt_chaos"]))
    # Not a violation: a retained packet published while the hub is
    # subscribed reaches it without the retain flag (MQTT 3.1.1 §3.3.1.3), so
    # the hub clears it only at its next subscribe; only a user past the ACL
    # can put one there (docs/ATTACKS.md). Shown, with the topics.
    problems = _rows(ev["db_path"], "SELECT code, COUNT(*), SUM(count) FROM device_problems GROUP BY code")
    fig["hub's device problems (code: ids, times)"] = {c: "%d ids, %d times" % (n, t)
                                                       for c, n, t in problems}


def _terminal_checks(ev, fig, bad):
    crashes = {t.device_id: len(t.crashes) for t in ev["hall"].terminals if t.crashes}
    resets = {t.device_id: t.watchdog_resets for t in ev["hall"].terminals if t.watchdog_resets}
    fig["terminal crashes / watchdog resets"] = "%s / %s" % (crashes or 0, resets or 0)
    if crashes or resets:
        bad.append("simulated terminals crashed %s or were reset by their watchdog %s"
                   % (crashes, resets))
    tracebacks = ev["hub_log"].count("Traceback")
    fig["tracebacks in the hub's log"] = tracebacks
    if tracebacks:
        at = ev["hub_log"].index("Traceback")
        bad.append("the hub logged %d tracebacks, the first:\n%s"
                   % (tracebacks, ev["hub_log"][at:at + 2000]))


def judge(ev):
    """ev: dict with witness, db_path, platform, business, chaos_windows,
    targets, answers, api, counts, hall, hub_log, mqtt_chaos -> (figures, violations)."""
    fig, bad = {}, []
    accepted = _rating_checks(ev, fig, bad)
    _ledger_checks(ev, accepted, fig, bad)
    _cut_off_checks(ev, fig, bad)
    _api_checks(ev, fig, bad)
    _attack_checks(ev, fig, bad)
    _terminal_checks(ev, fig, bad)
    return fig, bad
