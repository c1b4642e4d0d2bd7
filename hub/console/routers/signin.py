"""Sign-in and sign-out (/console/login, /console/logout)."""

import asyncio
import logging

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from hub.console import PREFIX, auth, web
from hub.console.errors import ConsoleError
from hub.console.ratelimit import SignInLimiter, wait_text
from hub.services import sessions, users

router = APIRouter()
log = logging.getLogger("pingjia.console")


def _limiter(request):
    state = request.app.state
    if getattr(state, "console_limiter", None) is None:
        c = state.hub.cfg.console
        state.console_limiter = SignInLimiter(c.signin_failures_per_account,
                                              c.signin_failures_per_address, c.signin_window_s)
    return state.console_limiter


def _next(url):
    """Only a console page of this hub: never another host (//evil, https:)."""
    if isinstance(url, str) and url.startswith(PREFIX + "/") and not url.startswith("//") \
            and "\\" not in url and len(url) < 500:
        return url
    return PREFIX + "/"


def _form(request, status=200, message=None, name="", next_url=None, expired=False):
    return web.page(request, "login.html", None, status_code=status, title="登录",
                    message=message, name=name, next=_next(next_url), expired=expired)


@router.get("/login")
async def login_page(request: Request, next: str | None = None, expired: str | None = None):
    if await auth.session_of(request, touch=False) is not None:
        return RedirectResponse(_next(next), status_code=303)
    return _form(request, next_url=next, expired=bool(expired))


@router.post("/login")
async def login(request: Request):
    if not auth.same_origin(request):
        raise ConsoleError(403, "请求来自其他网站，已拒绝（跨站请求）。")
    ctx = request.app.state.hub
    form = await auth.read_form(request)
    name, password = form.get("name", "").strip(), form.get("password", "")
    address = request.client.host if request.client else "?"
    limiter = _limiter(request)
    wait = limiter.wait_s(name, address)
    if wait > 0:
        return _form(request, 429, "登录失败次数过多，请 %s后再试。" % wait_text(wait), name,
                     form.get("next"))
    account, stored = await ctx.run(users.stored_hash, name)
    # argon2 takes tens of ms and 64 MiB: not on the database thread.
    account, fresh = await asyncio.get_running_loop().run_in_executor(
        None, users.check, account, stored, password)
    if account is None:
        limiter.failed(name, address)
        log.warning("console: failed sign-in as %r from %s", name[:40], address)
        return _form(request, 401, "账号或密码不正确。", name, form.get("next"))
    limiter.succeeded(name)
    if fresh:
        await ctx.write(users.store_rehash, name, fresh)
    token, _csrf = await ctx.write(sessions.create, name, address, *auth.limits_ms(ctx.cfg))
    response = RedirectResponse(_next(form.get("next")), status_code=303)
    auth.set_session_cookie(request, response, token)
    return response


@router.post("/logout")
async def logout(request: Request, viewer: auth.Viewer = Depends(auth.current_user)):
    await auth.checked_form(request, viewer)
    await request.app.state.hub.write(sessions.end, viewer.token_sha256, viewer.name)
    response = RedirectResponse(PREFIX + "/login", status_code=303)
    response.delete_cookie(auth.COOKIE, path=PREFIX)
    return response
