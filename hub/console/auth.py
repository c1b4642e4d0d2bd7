"""Who is looking, and may they act: the console's dependencies.

    viewer = Depends(current_user)           # any signed-in account, else to /login
    viewer = Depends(require_role("admin"))  # 403 for a manager
    form = await checked_form(request, viewer)   # every POST: CSRF token + Origin

The session cookie (COOKIE) is HttpOnly, SameSite=Strict, path /console, and
Secure when the request came over https (or [console] secure_cookie =
"always"): a hall console is often plain http on the LAN, where a browser
would drop a Secure cookie. Cross-site requests are refused three ways: the
cookie is never sent cross-site (Strict), a POST must carry the session's
CSRF token (form field `csrf` or header X-CSRF-Token), and a browser's
Origin (and Sec-Fetch-Site) must be this console's own address or one of
[console] origins.
"""

import hmac
from urllib.parse import parse_qs

from fastapi import Depends, Request

from hub.console.errors import ConsoleError, SignInNeeded
from hub.services import sessions

COOKIE = "pingjia_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
ROLE_ZH = {"admin": "管理员", "manager": "负责人"}


class Viewer:
    """The signed-in account of a request."""

    def __init__(self, session):
        self.name = session["name"]
        self.role = session["role"]
        self.csrf = session["csrf"]
        self.token_sha256 = session["token_sha256"]

    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def role_zh(self):
        return ROLE_ZH.get(self.role, self.role)

    @property
    def actor(self):
        """The audit log's `actor` for what this account does."""
        return "console:" + self.name


def limits_ms(cfg):
    c = cfg.console
    return c.idle_timeout_min * 60 * 1000, c.session_max_h * 3600 * 1000


async def session_of(request, touch=True):
    """The live session of the request's cookie, or None; refreshes last_seen."""
    ctx = request.app.state.hub
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    idle_ms, max_ms = limits_ms(ctx.cfg)
    s = await ctx.run(sessions.lookup, token, idle_ms, max_ms)
    if s is not None and touch and sessions.due_touch(s):
        await ctx.write(sessions.touch, s["token_sha256"])
    return s


def _here(request):
    return request.url.path + ("?" + request.url.query if request.url.query else "")


async def current_user(request: Request) -> Viewer:
    s = await session_of(request)
    if s is None:
        raise SignInNeeded(_here(request), expired=COOKIE in request.cookies)
    viewer = Viewer(s)
    request.state.viewer = viewer
    return viewer


def require_role(*roles):
    """A dependency: the viewer, when their role is one of ROLES; else 403."""
    async def dependency(viewer: Viewer = Depends(current_user)) -> Viewer:
        if viewer.role not in roles:
            raise ConsoleError(403, "您的账号（%s）只能查看，不能执行此操作；需要管理员账号。"
                               % viewer.role_zh)
        return viewer
    return dependency


def secure_cookie(request):
    return request.app.state.hub.cfg.console.secure_cookie == "always" or \
        request.url.scheme == "https"


def set_session_cookie(request, response, token):
    from hub.console import PREFIX
    response.set_cookie(COOKIE, token, path=PREFIX, httponly=True, samesite="strict",
                        secure=secure_cookie(request))


def same_origin(request):
    """Did a browser send this from the console itself? Requests without the
    browser's headers (scripts) pass here and are judged by the token alone."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = "%s://%s" % (request.url.scheme, request.headers.get("host", ""))
    return origin == own or origin in request.app.state.hub.cfg.console.origins


async def read_form(request):
    """The urlencoded body of a form post -> {name: first value}."""
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


async def checked_form(request, viewer):
    """The form of a state-changing request, once its origin and CSRF token
    are right; ConsoleError 403 otherwise."""
    if not same_origin(request):
        raise ConsoleError(403, "请求来自其他网站，已拒绝（跨站请求）。请在控制台页面上操作。")
    form = await read_form(request)
    token = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not hmac.compare_digest(token.encode(), viewer.csrf.encode()):
        raise ConsoleError(403, "页面已过期或缺少安全令牌（CSRF），请刷新页面后重试。")
    return form
