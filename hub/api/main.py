"""Assembles the FastAPI application: routers under /api/v1, errors, docs."""

from fastapi import Depends, FastAPI

from hub.api import errors
from hub.api.auth import require_client
from hub.api.guard import Guard

API_PREFIX = "/api/v1"
PUBLIC = (API_PREFIX + "/health",)      # the API's only routes without a token


def needs_token(path):
    return path.startswith(API_PREFIX + "/") and path not in PUBLIC

DESCRIPTION = """
The hall hub's API for **window business systems** (一窗受理, queue systems) and
**hall IT**.

Typical flow for a queue system:

1. When staff sign in at a window: `POST /api/v1/windows/{window}/sign-in` with
   `{"staff_id": ..., "staff_name": ...}`; when they leave,
   `POST /api/v1/windows/{window}/sign-out`; who is on duty:
   `GET /api/v1/windows/{window}/duty`.
2. When a case is finished (办结): `POST /api/v1/invitations` — the window's
   terminal shows the case and asks the citizen to rate it.
3. Later: `GET /api/v1/invitations/{id}` for its state and rating, or
   `GET /api/v1/ratings?since=...` to collect ratings in bulk — or, instead
   of polling, have every change pushed: a webhook (`pingjia webhooks set`)
   or the event stream `GET /api/v1/events`.

**Authentication**: every route except `/api/v1/health` needs
`Authorization: Bearer <token>`. Hall IT creates one token per client system:
`pingjia token create CLIENT`.

**Errors** are JSON: `{"error": "unknown_window", "message": "...", "field": "window"}`.
`error` is a stable code for programs; `message` says what is wrong and what
to do; `field` names the input at fault when there is one.
"""

TAGS = [
    {"name": "invitations", "description": "Evaluation invitations (评价邀请): one per case and visit."},
    {"name": "windows", "description": "Staff duty at a window (签到 / 签退)."},
    {"name": "ratings", "description": "Ratings (评价) as stored by the hub, with filters and paging."},
    {"name": "terminals", "description": "The hall's rating terminals (for hall IT)."},
    {"name": "upstream", "description": "Forwarding to the provincial 好差评 platform: backlog, "
                                        "dead letters and their replay (for hall IT)."},
    {"name": "events", "description": "Every invitation change pushed as it happens: "
                                      "server-sent events here, webhooks per client "
                                      "(`pingjia webhooks set`)."},
    {"name": "rectification", "description": "Rectification of bad reviews (差评整改): one "
                                             "work item per bad review, deadlines in working "
                                             "days, who did what when."},
    {"name": "statistics", "description": "Counts, average level, score, bad-review and "
                                          "active-rating rates, channel mix, rectification "
                                          "rate per window, staff, matter, department or "
                                          "period; CSV and XLSX."},
    {"name": "health", "description": "Is the hub running, and are its parts connected?"},
]


def create_app(ctx):
    """A FastAPI app serving the hub described by `ctx` (a HubContext)."""
    from hub.api import docs_page
    from hub.api.routers import duty, events, health, invitations, ratings, terminals, upstream
    from hub.api.routers import metrics, rectification, statistics

    # FastAPI's own /docs loads Swagger UI from a CDN: off; docs_page serves it
    # from the hub. ReDoc stays off.
    app = FastAPI(title="pingjia hall hub API", version="1", description=DESCRIPTION,
                  openapi_tags=TAGS, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json")
    app.state.hub = ctx
    errors.install(app)
    docs_page.install(app)
    auth = [Depends(require_client)]
    # Token and body size are checked before a route reads its body (guard.py).
    app.add_middleware(Guard, needs_token=needs_token, tokens=ctx.tokens)
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(metrics.router)      # its own access rule: hub/api/routers/metrics.py
    for module in (invitations, duty, ratings, terminals, upstream, events, rectification,
                   statistics):
        app.include_router(module.router, prefix=API_PREFIX, dependencies=auth,
                           responses=errors.responses(401))
    if ctx.cfg.console.enabled:
        from hub import console     # the hall console's pages, under /console/ (docs/CONSOLE.md)
        console.install(app)
    return app
