"""Bearer-token check: every /api/v1 route except /health needs a client token.

Each client system (queue system, 一窗受理 platform, hall dashboard) has its own
token (`pingjia token create CLIENT`), so one can be revoked without the
others and the audit log can say who did what. A missing or wrong token is a
401 with a JSON body saying how to get one.
"""

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.errors import HubError

_bearer = HTTPBearer(auto_error=False, description="Client token from `pingjia token create CLIENT`")


def _unauthorized(message):
    err = HubError("unauthorized", message, 401)
    return err


async def require_client(request: Request,
                         cred: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str:
    """The calling client's name; raises 401 when the token is missing or wrong."""
    if cred is None or cred.scheme.lower() != "bearer" or not cred.credentials:
        raise _unauthorized("no API token: send the header 'Authorization: Bearer <token>'; "
                            "hall IT creates a token per client with `pingjia token create CLIENT`")
    client = request.app.state.hub.tokens.check(cred.credentials)
    if client is None:
        raise _unauthorized("this API token is not known to the hub (wrong, or revoked); "
                            "ask hall IT for a token: `pingjia token create CLIENT`")
    request.state.client = client
    return client
