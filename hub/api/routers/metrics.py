"""GET /metrics: the hub's metrics for Prometheus (hub/metrics.py has them).

Who may scrape. With `[metrics] token` empty (the default) only this
machine: a client whose address is a loopback address; anyone else gets
403 saying how to allow a scraper. With a token set, every scrape must send
`Authorization: Bearer <token>` (Prometheus: `authorization: {credentials:
...}` or `credentials_file` in the scrape config), from any address. Not
the API's client tokens: those read and change the hall's data, and a
monitoring system needs neither; the metrics carry device ids and counts,
no citizen's data, but they are the hall's business all the same.
A reverse proxy on the same machine makes every client look local: set a
token there. `[metrics] enabled = false`: 404.
"""

import hmac
import ipaddress
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.errors import HubError

router = APIRouter(tags=["health"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("localhost", "testclient")


def check_access(cfg, host, authorization):
    """HubError unless a scrape from HOST with this Authorization header may read."""
    m = cfg.metrics
    if not m.enabled:
        raise HubError("not_found", "metrics are off on this hub ([metrics] enabled = false)",
                       404)
    if m.token:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                 m.token.encode()):
            raise HubError("unauthorized", "send the [metrics] token: 'Authorization: Bearer "
                           "<token>' (Prometheus: authorization: {credentials: ...})", 401,
                           field="Authorization")
        return
    if not _loopback(host or ""):
        raise HubError("forbidden", "metrics are served to this machine only; to scrape from "
                       "%s set [metrics] token in the hub's config and give Prometheus the "
                       "same token" % (host or "another machine"), 403)


# Not in the OpenAPI: a Prometheus endpoint, not part of the API (docs/HUB.md "Metrics").
@router.get("/metrics", response_class=Response, include_in_schema=False)
async def metrics(request: Request):
    """Ratings stored, acks and nacks, writer commit latency, terminals online,
    journal depths, per-terminal errors, upstream backlog, oldest pending age,
    dead letters, upstream call latency, webhook backlog, rectification items.
    docs/HUB.md ("Metrics") lists them and who may scrape."""
    from hub import metrics as m
    from hub.api import fresh
    ctx = request.app.state.hub
    check_access(ctx.cfg, request.client.host if request.client else None,
                 request.headers.get("Authorization"))
    await fresh.deadlines(ctx)
    fams = await ctx.run(m.collect_db, int(time.time() * 1000), ctx.db_path)
    return Response(m.exposition(fams), media_type=CONTENT_TYPE)
