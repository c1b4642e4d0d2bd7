"""Service rows (epoch ms, JSON columns, short names) -> API response dicts.

Kept in one place so the schemas and the store can evolve separately.
"""

from hub.halltime import iso
from hub.services import applicant_kinds


def transport_kind(transport):
    """'serial:/dev/ttyUSB0' or 'mqtt' -> 'serial' / 'mqtt'."""
    if not transport:
        return None
    return transport.split(":", 1)[0]


def terminal(t, tz):
    return {
        "device_id": t["device_id"],
        "window": t.get("window"),
        "online": bool(t.get("online")),
        "transport": transport_kind(t.get("transport")) if t.get("online") else None,
        "firmware": t.get("firmware"),
        "last_seen": iso(t.get("last_seen"), tz),
        "journal_depth": t.get("journal_depth"),
        "free_heap": t.get("free_heap"),
        "link_quality": t.get("link_quality"),
        "printer": t.get("printer_state"),
        "config_version": t.get("config_version"),
        "problem": problem(t.get("problem"), tz),
    }


def problem(p, tz):
    """A device id's last problem (services/problems.py) or None."""
    if p is None:
        return None
    return {"device_id": p["device_id"], "known": p["known"], "code": p["code"],
            "message": p["detail"], "via": p["via"], "at": iso(p["at"], tz),
            "since": iso(p["first_at"], tz), "count": p["count"]}


def duty(window, d, tz):
    if d is None or d.get("signed_out_at") is not None:
        return {"window": window, "state": "off",
                "staff_id": d.get("staff_id") if d else None,
                "staff_name": d.get("staff_name") if d else None,
                "since": iso(d.get("signed_out_at"), tz) if d else None}
    return {"window": window, "state": "on", "staff_id": d["staff_id"],
            "staff_name": d["staff_name"], "since": iso(d["signed_in_at"], tz)}


def invitation(inv, tz, rating=None):
    return {
        "id": inv["eid"],
        "state": inv["state"],
        "window": inv["window"],
        "case_serial": inv["case_serial"],
        "visit": inv["visit"],
        "matter_code": inv["matter_code"],
        "matter_name": inv["matter_name"],
        "staff_id": inv["staff_id"],
        "staff_name": inv["staff_name"],
        "applicant_kind": applicant_kinds.name(inv["applicant_kind"]),
        "created_at": iso(inv.get("created_at"), tz),
        "expires_at": iso(inv.get("deadline"), tz),
        "deadline": iso(inv.get("deadline"), tz),
        "shown_at": iso(inv.get("shown_at"), tz),
        "closed_at": iso(inv.get("closed_at"), tz),
        "device_id": inv.get("device_id"),
        "has_contact": bool(inv.get("has_contact")),
        "rating": rating,
        "warning": inv.get("notice"),
    }
