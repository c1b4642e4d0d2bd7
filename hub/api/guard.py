"""The API's front door, as an ASGI middleware in front of every route.

Before a route runs, and before any byte of its body is read:
- a route that needs a token (main.py says which) without a known one is
  answered 401 from the headers alone (the check is auth.client_for): an
  unauthenticated client cannot make the hub read, buffer or parse a body;
- a body declared larger than MAX_BODY_BYTES (Content-Length) is answered 413.

While a route reads its body, the bytes are counted as they arrive, so a
chunked body, or one with no Content-Length, stops at the same limit: the
read fails with a 413 (errors.py writes it as every other error).

Every answer, the guard's own included, carries SECURITY_HEADERS; a route
that sets its own Content-Security-Policy (the /docs page) keeps it.
"""

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.routing import get_route_path

from hub.api import auth
from hub.api.errors import http_error, hub_error
from hub.errors import HubError

# The largest legitimate body, a POST /invitations with every field at its
# maximum, is under 2 KiB; 64 KiB leaves room without letting a body cost memory.
MAX_BODY_BYTES = 64 * 1024

CSP = "Content-Security-Policy"
# JSON answers need nothing at all from a browser.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
SECURITY_HEADERS = ((b"x-content-type-options", b"nosniff"),)


class BodyTooLarge(HTTPException):
    def __init__(self):
        super().__init__(413, "the request body is larger than %d bytes (%d KiB), the most "
                         "any call of this API takes" % (MAX_BODY_BYTES, MAX_BODY_BYTES // 1024))


class Guard:
    def __init__(self, app, needs_token, tokens):
        self.app = app
        self.needs_token = needs_token      # route path -> bool
        self.tokens = tokens                # the hub's TokenStore

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        send = _with_security_headers(send)
        headers = Headers(scope=scope)
        if self.needs_token(get_route_path(scope)):
            try:
                client = auth.client_for(self.tokens, headers.get(auth.HEADER))
            except HubError as e:
                return await hub_error(e)(scope, receive, send)
            scope.setdefault("state", {})["client"] = client
        declared = headers.get("content-length")
        if declared and declared.isdigit() and (len(declared) > 12
                                                or int(declared) > MAX_BODY_BYTES):
            return await http_error(scope, BodyTooLarge())(scope, receive, send)
        await self.app(scope, _counted(receive), send)


def _counted(receive):
    seen = 0

    async def counted():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise BodyTooLarge()
        return message
    return counted


def _with_security_headers(send):
    async def secured(message):
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            names = {name.lower() for name, _ in headers}
            headers += [h for h in SECURITY_HEADERS if h[0] not in names]
            if CSP.lower().encode() not in names:
                headers.append((CSP.lower().encode(), API_CSP.encode()))
            message = dict(message, headers=headers)
        await send(message)
    return secured
