"""`pingjia user add|list|passwd|remove`: console accounts from the CLI, the
password from standard input (never an argument), every change audited."""

from hub.services import audit, users
from hub.store import open_db
from tests.support.api import make_config, pingjia


def test_user_commands(tmp_path):
    cfg = make_config(tmp_path)
    conf = ["--config", str(tmp_path / "hub.toml")]
    r = pingjia("user", "add", "zhang.wei", "--role", "admin", "--password-stdin", *conf,
                input="first-password-1\n")
    assert r.returncode == 0, r.stderr
    assert "zhang.wei" in r.stdout and "first-password-1" not in r.stdout + r.stderr
    r = pingjia("user", "add", "zhang.wei", "--role", "manager", "--password-stdin", *conf,
                input="first-password-1\n")
    assert r.returncode != 0 and "exists" in r.stderr
    r = pingjia("user", "add", "li", "--role", "manager", "--password-stdin", *conf, input="short\n")
    assert r.returncode == 2 and "at least 10" in r.stderr
    r = pingjia("user", "add", "li", "--role", "manager", *conf, input="")
    assert r.returncode == 2 and "--password-stdin" in r.stderr
    r = pingjia("user", "list", *conf)
    assert r.returncode == 0 and "zhang.wei" in r.stdout and "admin" in r.stdout
    r = pingjia("user", "passwd", "zhang.wei", "--password-stdin", *conf, input="second-password-2\n")
    assert r.returncode == 0, r.stderr
    db = open_db(cfg.db_path)
    try:
        assert users.verify(db, "zhang.wei", "second-password-2")[0]["role"] == "admin"
        assert users.verify(db, "zhang.wei", "first-password-1") == (None, None)
    finally:
        db.close()
    assert pingjia("user", "remove", "nobody", *conf).returncode == 3
    assert pingjia("user", "remove", "zhang.wei", *conf).returncode == 0
    db = open_db(cfg.db_path)
    try:
        assert users.list_all(db) == []
        done = [(a["actor"], a["action"], a["subject"]) for a in audit.recent(db)][::-1]
        assert done == [("cli", "user.add", "zhang.wei"), ("cli", "user.passwd", "zhang.wei"),
                        ("cli", "user.remove", "zhang.wei")]
    finally:
        db.close()
