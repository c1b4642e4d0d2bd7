"""The console's doors: sign-in with argon2id accounts, sessions in an HttpOnly
SameSite=Strict cookie with an idle timeout, roles, CSRF on every change,
sign-in attempts limited per account and per address, sign-out, and the
audit log naming who did it. In-process through the ASGI app."""

import pytest

from hub.console.ratelimit import SignInLimiter, wait_text
from hub.services import audit, sessions, users
from tests.support.api import Api, make_config
from tests.support.console import PASSWORD, add_user, csrf_of, sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
async def api(tmp_path):
    a = Api(make_config(tmp_path, "[console]\nidle_timeout_min = 5\n"
                                  "signin_failures_per_account = 3\n"
                                  "signin_failures_per_address = 5\nsignin_window_s = 60\n"))
    add_user(a.db_call, "admin1", "admin")
    add_user(a.db_call, "boss", "manager")
    yield a
    await a.aclose()


async def test_signed_out_pages_send_to_sign_in_and_back(api):
    r = await api.client.get("/console/terminals")
    assert r.status_code == 303 and r.headers["location"] == "/console/login?next=/console/terminals"
    assert (await api.client.get("/")).headers["location"] == "/console/"
    r = await sign_in(api.client, "boss", next_url="/console/terminals")
    assert r.status_code == 303 and r.headers["location"] == "/console/terminals"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie           # plain http: a Secure cookie would be dropped
    assert (await api.client.get("/console/terminals")).status_code == 200


async def test_next_never_leaves_the_console(api):
    r = await sign_in(api.client, "boss", next_url="//evil.example/x")
    assert r.headers["location"] == "/console/"


async def test_cookie_is_secure_over_https(tmp_path):
    a = Api(make_config(tmp_path))
    add_user(a.db_call, "boss", "manager")
    try:
        import httpx
        a.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=a.app),
                                     base_url="https://hub")
        r = await sign_in(a.client, "boss")
        assert "Secure" in r.headers["set-cookie"]
    finally:
        await a.aclose()


async def test_wrong_password_is_refused_and_the_hash_is_argon2id(api):
    r = await sign_in(api.client, "boss", "wrong-password")
    assert r.status_code == 401 and "账号或密码不正确" in r.text
    stored = api.db_call(lambda db: db.execute(
        "SELECT password_hash FROM console_users WHERE name = 'boss'").fetchone()[0])
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert api.db_call(users.verify, "boss", PASSWORD)[0]["role"] == "manager"
    assert api.db_call(users.verify, "nobody", PASSWORD) == (None, None)


async def test_sign_in_is_limited_per_account_with_the_wait_in_chinese(api):
    for _ in range(3):
        assert (await sign_in(api.client, "boss", "wrong-password")).status_code == 401
    r = await sign_in(api.client, "boss")           # even the right password waits
    assert r.status_code == 429
    assert "登录失败次数过多" in r.text and "秒后再试" in r.text
    # Another account from the same address is not locked by that one's count...
    assert (await sign_in(api.client, "admin1")).status_code == 303


def test_sign_in_is_limited_per_address():
    clock = [0.0]
    lim = SignInLimiter(per_account=100, per_address=3, window_s=60, clock=lambda: clock[0])
    for name in ("a", "b", "c"):
        lim.failed(name, "10.0.0.9")
    assert lim.wait_s("d", "10.0.0.9") == 60
    assert lim.wait_s("d", "10.0.0.8") == 0
    clock[0] = 45
    assert lim.wait_s("d", "10.0.0.9") == 15
    assert wait_text(15) == "15 秒" and wait_text(200) == "3 分 20 秒"
    clock[0] = 61
    assert lim.wait_s("d", "10.0.0.9") == 0


async def test_idle_session_times_out(api):
    await sign_in(api.client, "boss")
    assert (await api.client.get("/console/")).status_code == 200
    # Five idle minutes pass (the config says 5).
    api.db_call(lambda db: db.execute("UPDATE console_sessions SET last_seen = last_seen - ?",
                                      (5 * 60 * 1000 + 1000,)))
    r = await api.client.get("/console/")
    assert r.status_code == 303 and "expired=1" in r.headers["location"]
    login = await api.client.get(r.headers["location"])
    assert "登录已超时" in login.text
    # The next sign-in deletes the dead session: one row, the new one.
    await sign_in(api.client, "boss")
    assert api.db_call(lambda db: db.execute("SELECT COUNT(*) FROM console_sessions")
                       .fetchone()[0]) == 1
    assert api.db_call(sessions.purge, 1, 1, 10 ** 15) == 1


async def test_a_manager_cannot_act_and_a_post_without_csrf_is_refused(api):
    await sign_in(api.client, "boss")
    page = (await api.client.get("/console/upstream")).text
    token = csrf_of(page)
    assert "data-replay" not in page                 # no button for a manager
    r = await api.client.post("/console/upstream/replay", data={"csrf": token, "id": "all"})
    assert r.status_code == 403 and "只能查看" in r.text
    r = await api.client.post("/console/terminals/T-1/timesync", data={"csrf": token})
    assert r.status_code == 403


async def test_csrf_token_and_origin_are_checked(api):
    await sign_in(api.client, "admin1")
    token = csrf_of((await api.client.get("/console/upstream")).text)
    r = await api.client.post("/console/upstream/replay", data={"id": "all"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = await api.client.post("/console/upstream/replay", data={"id": "all", "csrf": "x" + token})
    assert r.status_code == 403
    r = await api.client.post("/console/upstream/replay", data={"id": "all", "csrf": token},
                              headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "跨站" in r.text
    r = await api.client.post("/console/upstream/replay", data={"id": "all", "csrf": token},
                              headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    r = await api.client.post("/console/upstream/replay", data={"id": "all", "csrf": token},
                              headers={"Origin": "http://hub"})
    assert r.status_code == 303
    r = await api.client.post("/console/upstream/replay", data={"id": "all"},
                              headers={"X-CSRF-Token": token})
    assert r.status_code == 303


async def test_sign_out_ends_the_session_and_everything_is_audited(api):
    await sign_in(api.client, "admin1")
    cookie = api.client.cookies.get("pingjia_console")
    token = csrf_of((await api.client.get("/console/")).text)
    await api.client.post("/console/upstream/replay", data={"id": "all", "csrf": token})
    r = await api.client.post("/console/logout", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    # The old cookie, copied before, opens nothing now.
    api.client.cookies.set("pingjia_console", cookie, path="/console")
    assert (await api.client.get("/console/")).status_code == 303
    actions = [(a["actor"], a["action"]) for a in api.db_call(audit.recent)][::-1]
    assert ("cli", "user.add") in actions
    assert actions[-3:] == [("console:admin1", "console.sign_in"),
                            ("console:admin1", "upstream.replay"),
                            ("console:admin1", "console.sign_out")]


async def test_password_change_and_removal_end_sessions(api):
    await sign_in(api.client, "boss")
    assert (await api.client.get("/console/")).status_code == 200
    api.db_call(users.set_password, "boss", "another-pass-42")
    assert (await api.client.get("/console/")).status_code == 303
    assert (await sign_in(api.client, "boss", "another-pass-42")).status_code == 303
    api.db_call(users.remove, "boss")
    assert (await api.client.get("/console/")).status_code == 303


def test_account_rules():
    from hub.errors import HubError
    for bad in ("", "a b", "x" * 33, "<script>"):
        with pytest.raises(HubError):
            users.check_name(bad)
    with pytest.raises(HubError):
        users.check_password("short")
    with pytest.raises(HubError):
        users.check_role("root")
    assert users.check_name("zhang.wei") == "zhang.wei" and users.check_name("张伟") == "张伟"
