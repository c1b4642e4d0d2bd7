"""Helpers for the console tests: accounts, signing in, the CSRF token of a page."""

import re

PASSWORD = "correct-horse-9"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def add_user(db_call, name, role, password=PASSWORD):
    from hub.services import users
    return db_call(users.add, name, role, password)


def csrf_of(html):
    m = _CSRF.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


async def sign_in(client, name, password=PASSWORD, next_url=None):
    """POST the sign-in form -> the answer (303 to the console on success)."""
    data = {"name": name, "password": password}
    if next_url:
        data["next"] = next_url
    return await client.post("/console/login", data=data)


_seq = [0]


def rate(db, window, level, labels=(), matter_name="个体工商户设立登记", staff=("A0101", "王芳"),
         device="T-12", contact=None):
    """A finished case at WINDOW rated LEVEL on DEVICE, stored as the writer
    stores a terminal's rating -> the rating id."""
    from hub.services import invitations, journal
    _seq[0] += 1
    n = _seq[0]
    inv = invitations.create(db, window, "CS%08d" % n, "330100001000", matter_name,
                             staff_id=staff[0], staff_name=staff[1], contact=contact)
    msg = {"t": "rating", "seq": n, "eid": inv["eid"], "cs": "CS%08d" % n, "lv": level,
           "dp": 2500, "mt": 1000 * n, "org": "live"}
    if labels:
        msg["lb"] = list(labels)
    return journal.record_rating(db, device, msg)["rating_id"]
