"""Console accounts: who may sign in to the hall console, and as what.

Two roles. `admin` (hall IT) may act: replay a dead letter, move a terminal,
sync its clock. `manager` (the hall's managers) reads every page and acts on
nothing. Accounts are made and changed only with the CLI (`pingjia user ...`,
hub/commands/user.py); the console itself has no page that makes one, so a
stolen manager session cannot promote itself.

Passwords are hashed with argon2id (argon2-cffi's PasswordHasher) at
OWASP's recommended minimum, 19 MiB of memory, 2 passes, 1 lane (about
0.1-0.2 s on a 2-core hall server; the library's 64 MiB x 3 x 4 lanes took
0.7 s there), stored as the PHC string that carries its own salt and
parameters. A hash made with other parameters is replaced at the next good
sign-in (needs_rehash), so raising them later needs no migration.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.errors import HubError
from hub.services import audit
from hub.services.common import now_ms, row
from hub.store import tx

ROLES = ("admin", "manager")
ROLE_ZH = {"admin": "管理员", "manager": "负责人（只读）"}
NAME_MAX = 32
PASSWORD_MIN = 10
PASSWORD_MAX = 256
_NAME_EXTRA = "_.-@"

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the account does not exist, so a wrong name takes as
# long as a wrong password (no list of names by timing).
_DUMMY = _hasher.hash("pingjia-no-such-account")


def _bad(field, message):
    return HubError("bad_request", message, 422, field=field)


def check_name(name):
    if not isinstance(name, str) or not 1 <= len(name) <= NAME_MAX or \
            not all(c.isalnum() or c in _NAME_EXTRA for c in name):
        raise _bad("name", "account name must be 1 to %d letters, digits or %s, e.g. "
                   "zhang.wei" % (NAME_MAX, " ".join(_NAME_EXTRA)))
    return name


def check_role(role):
    if role not in ROLES:
        raise _bad("role", "role must be admin (hall IT, may act) or manager (read only), "
                   "got %r" % (role,))
    return role


def check_password(password):
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise _bad("password", "password must have at least %d characters" % PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        raise _bad("password", "password must have at most %d characters" % PASSWORD_MAX)
    if password != password.strip():
        raise _bad("password", "password must not start or end with white space "
                   "(it is easily lost when typed)")
    return password


def _public(r):
    return None if r is None else {k: r[k] for k in ("name", "role", "created_at", "updated_at")}


def get(db, name):
    return _public(row(db, "SELECT * FROM console_users WHERE name = ?", (name,)))


def require(db, name):
    u = get(db, name)
    if u is None:
        raise HubError("not_found", "no console account %r; list them with: pingjia user list"
                       % (name,), 404, field="name")
    return u


def list_all(db):
    return [_public(r) for r in db.query("SELECT * FROM console_users ORDER BY name")]


def add(db, name, role, password, actor="cli", now=None):
    check_name(name)
    check_role(role)
    hashed = _hasher.hash(check_password(password))
    t = now_ms(now)
    with tx(db):
        if get(db, name) is not None:
            raise HubError("bad_request", "console account %r exists; change its password with "
                           "`pingjia user passwd %s`, or remove it first" % (name, name), 409,
                           field="name")
        db.execute("INSERT INTO console_users (name, role, password_hash, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, ?)", (name, role, hashed, t, t))
        audit.log(db, actor, "user.add", name, {"role": role}, t)
    return get(db, name)


def set_password(db, name, password, actor="cli", now=None):
    """A new password; every open session of the account ends (a leaked one too)."""
    require(db, name)
    hashed = _hasher.hash(check_password(password))
    t = now_ms(now)
    with tx(db):
        db.execute("UPDATE console_users SET password_hash = ?, updated_at = ? WHERE name = ?",
                   (hashed, t, name))
        db.execute("DELETE FROM console_sessions WHERE name = ?", (name,))
        audit.log(db, actor, "user.passwd", name, None, t)


def remove(db, name, actor="cli", now=None):
    require(db, name)
    with tx(db):
        db.execute("DELETE FROM console_sessions WHERE name = ?", (name,))
        db.execute("DELETE FROM console_users WHERE name = ?", (name,))
        audit.log(db, actor, "user.remove", name, None, now)


def stored_hash(db, name):
    """-> (account, its password hash), or (None, None) for no such account."""
    r = row(db, "SELECT * FROM console_users WHERE name = ?", (name,)) \
        if isinstance(name, str) and len(name) <= NAME_MAX else None
    return (_public(r), r["password_hash"]) if r else (None, None)


def check(account, stored, password):
    """Does PASSWORD match STORED (account's hash)? -> (account or None, new
    hash to store or None). Runs argon2 (tens of ms, 64 MiB): call it off the
    database thread. With no account it still verifies a dummy hash, so a
    wrong name takes as long as a wrong password."""
    try:
        _hasher.verify(stored or _DUMMY, password if isinstance(password, str) else "")
    except (VerificationError, InvalidHashError):
        return None, None
    if account is None:
        return None, None
    return account, (_hasher.hash(password) if _hasher.check_needs_rehash(stored) else None)


def verify(db, name, password):
    """stored_hash then check, in one call (the CLI and tests)."""
    account, stored = stored_hash(db, name)
    return check(account, stored, password)


def store_rehash(db, name, hashed):
    db.execute("UPDATE console_users SET password_hash = ? WHERE name = ?", (hashed, name))
