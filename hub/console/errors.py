"""Console errors as pages, not JSON: a person reads them in a browser.

Routes raise ConsoleError(status, message); a signed-out browser asking for a
page is sent to the sign-in page instead (SignInNeeded)."""

from fastapi import Request
from fastapi.responses import RedirectResponse
from urllib.parse import quote


class ConsoleError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class SignInNeeded(Exception):
    """No live session: to the sign-in page, then back to `next`."""

    def __init__(self, next_url, expired=False):
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired


async def on_console_error(request: Request, exc: ConsoleError):
    from hub.console import web
    return web.page(request, "error.html", getattr(request.state, "viewer", None),
                    status_code=exc.status, title="出错了", status=exc.status, message=exc.message)


async def on_sign_in_needed(request: Request, exc: SignInNeeded):
    from hub.console import PREFIX
    url = PREFIX + "/login?next=" + quote(exc.next_url, safe="/")
    if exc.expired:
        url += "&expired=1"
    if request.method != "GET" or request.headers.get("accept", "").startswith("text/event-stream"):
        # A form posted or a stream opened without a session: refused, not redirected
        # (a redirect would look like success to a script).
        from hub.console import web
        return web.page(request, "error.html", None, status_code=401, title="请先登录",
                        status=401, message="登录已失效，请重新登录。")
    return RedirectResponse(url, status_code=303)


def install(app):
    app.add_exception_handler(ConsoleError, on_console_error)
    app.add_exception_handler(SignInNeeded, on_sign_in_needed)
