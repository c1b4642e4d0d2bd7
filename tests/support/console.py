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
