"""Who may connect to the hall's broker, and what each user may touch.

mosquitto (hub/data/mosquitto.conf) refuses anonymous clients and reads two
files from the hub's data directory:

  mosquitto.passwd   user:$7$<iterations>$<salt>$<hash>   one line per user
  mosquitto.acl      user NAME / topic read|write|readwrite TOPIC blocks

The password lines are mosquitto 2.0's own PBKDF2-SHA512 format (what
`mosquitto_passwd -b FILE USER PASS` writes; tests/hub/test_broker_access.py
checks the two agree), so the hub needs no mosquitto tool installed. The ACL
file is the record of each user's rules: read back, one user changed,
written again. Both files are replaced by rename, so the broker never reads
half a file, and are owner-only (they name every terminal of the hall).

    access = BrokerAccess(folder)
    access.set_user("T-0012", password, terminal_rules("hall-1", "T-0012"))
    access.remove_user("T-0012")
    access.check("T-0012", password)       # as the broker would

The broker only reads the files again when told (SIGHUP): broker_users.py
says who tells it.
"""

import base64
import hashlib
import hmac
import os
import secrets

from protocol import topics

PASSWD_FILE = "mosquitto.passwd"
ACL_FILE = "mosquitto.acl"
ITERATIONS = 101          # mosquitto_passwd's own default (mosquitto 2.0)
SALT_BYTES = 12
ACCESS = ("read", "write", "readwrite")
_ACL_HEADER = ("# Written by the pingjia hub (pingjia provision / terminals rekey|remove).\n"
               "# Edits by hand are lost at the next change: use those commands.\n")


def hash_password(password, salt=None, iterations=ITERATIONS):
    """The `$7$` line mosquitto 2.0 checks a CONNECT's password against."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return "$7$%d$%s$%s" % (iterations, base64.b64encode(salt).decode(),
                            base64.b64encode(digest).decode())


def verify_password(password, hashed):
    try:
        _, seven, iterations, salt, _digest = hashed.split("$")
        if seven != "7":
            return False
        again = hash_password(password, base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(again, hashed)


def new_password():
    """A broker password for a terminal or the hub: 32 characters, shown once."""
    return secrets.token_urlsafe(24)


def hub_rules(hall):
    """The hub reads every terminal's up and state topics, writes their down
    topics, its own state, and clears what must not stay retained."""
    return [("readwrite", "%s/%s/#" % (topics.ROOT, topics.check_segment(hall, "hall id")))]


def terminal_rules(hall, device):
    """A terminal publishes only on its own up and state topics (its last will
    included: the broker checks the will's topic against these at CONNECT) and
    reads only its own down topic."""
    return [("write", topics.up(hall, device)), ("write", topics.state(hall, device)),
            ("read", topics.down(hall, device))]


def _check_name(name):
    if not name or any(c.isspace() or c in ":#+/" for c in name):
        raise ValueError("broker user name %r: letters, digits, _ - . only" % (name,))
    return name


def _write(path, text):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class BrokerAccess:
    def __init__(self, folder):
        self.folder = str(folder)
        self.passwd_path = os.path.join(self.folder, PASSWD_FILE)
        self.acl_path = os.path.join(self.folder, ACL_FILE)

    # ---------------------------------------------------------------- read
    def _hashes(self):
        out = {}
        try:
            with open(self.passwd_path, encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if line and not line.startswith("#") and ":" in line:
                        name, hashed = line.split(":", 1)
                        out[name] = hashed
        except FileNotFoundError:
            pass
        return out

    def rules(self):
        """user -> [(access, topic)], as the ACL file says."""
        out, user = {}, None
        try:
            with open(self.acl_path, encoding="utf-8") as f:
                for line in f:
                    words = line.split()
                    if not words or words[0].startswith("#"):
                        continue
                    if words[0] == "user" and len(words) == 2:
                        user = words[1]
                        out.setdefault(user, [])
                    elif words[0] == "topic" and len(words) == 3 and user is not None:
                        out[user].append((words[1], words[2]))
        except FileNotFoundError:
            pass
        return out

    def users(self):
        return sorted(self._hashes())

    def check(self, name, password):
        """Would the broker let NAME in with PASSWORD?"""
        hashed = self._hashes().get(name)
        return hashed is not None and verify_password(password, hashed)

    # ---------------------------------------------------------------- write
    def set_user(self, name, password, rules):
        """Add or replace NAME with a new password and exactly these rules."""
        _check_name(name)
        for access, topic in rules:
            if access not in ACCESS or not topic or any(c.isspace() for c in topic):
                raise ValueError("ACL rule (%r, %r) for %s" % (access, topic, name))
        hashes, acl = self._hashes(), self.rules()
        hashes[name] = hash_password(password)
        acl[name] = list(rules)
        self._save(hashes, acl)

    def remove_user(self, name):
        """-> True if NAME was there. Its connections end at the broker's reload."""
        hashes, acl = self._hashes(), self.rules()
        had = hashes.pop(name, None) is not None
        had = acl.pop(name, None) is not None or had
        self._save(hashes, acl)
        return had

    def ensure(self):
        """Both files exist (mosquitto will not start without them)."""
        if not (os.path.exists(self.passwd_path) and os.path.exists(self.acl_path)):
            self._save(self._hashes(), self.rules())

    def _save(self, hashes, acl):
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        # ACL first: a user in the password file with no rules can reach nothing.
        blocks = [_ACL_HEADER]
        for name in sorted(acl):
            blocks.append("user %s\n%s" % (name, "".join("topic %s %s\n" % r for r in acl[name])))
        _write(self.acl_path, "\n".join(blocks))
        _write(self.passwd_path, "".join("%s:%s\n" % kv for kv in sorted(hashes.items())))
