"""Bearer-token check: every /api/v1 route except /health needs a client token.

Each client system (queue system, 一窗受理 platform, hall dashboard) has its own
token (`pingjia token create CLIENT`), so one can be revoked without the
others and the audit log can say who did what. A missing or wrong token is a
401 with a JSON body saying how to get one.

`client_for` is the check itself. hub/api/guard.py runs it on the headers,
before a byte of the body is read; `require_client` (the routes' dependency,
which also puts the bearer scheme into the OpenAPI) takes the client the guard
found, and runs the same check when there was no guard in front.
"""

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.errors import HubError

_bearer = HTTPBearer(auto_error=False, description="Client token from `pingjia token create CLIENT`")
HEADER = "Authorization"


def _unauthorized(message):
    return HubError("unauthorized", message, 401, field=HEADER)


def client_for(tokens, authorization):
    """The client whose token the `Authorization` header value carries; HubError 401
    when it is missing, not a bearer token, or not known (wrong or revoked)."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise _unauthorized("no API token: send the header 'Authorization: Bearer <token>'; "
                            "hall IT creates a token per client with `pingjia token create CLIENT`")
    client = tokens.check(credentials.strip())
    if client is None:
        raise _unauthorized("this API token is not known to the hub (wrong, or revoked); "
                            "ask hall IT for a token: `pingjia token create CLIENT`")
    return client


async def require_client(request: Request,
                         cred: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str:
    """The calling client's name; raises 401 when the token is missing or wrong."""
    client = getattr(request.state, "client", None)
    if client is None:
        client = client_for(request.app.state.hub.tokens, request.headers.get(HEADER))
        request.state.client = client
    return client
