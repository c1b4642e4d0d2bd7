"""The hub's HTTP API for window business systems and hall IT (FastAPI).

    from hub.api import create_app, HubContext
    app = create_app(HubContext(cfg))      # serve with uvicorn

Layout by domain: routers/ (invitations, duty, ratings, terminals, health),
schemas/ (pydantic models), auth.py (per-client bearer tokens), guard.py (the
token and the 64 KiB body cap checked before a body is read, security headers), errors.py
(every error as {"error", "message", "field"}), context.py (database thread,
ingest, health), docs_page.py (Swagger UI served from the hub, no CDN). Routes call hub.services; the rules live there, not here.
"""


# Lazy, so that importing a module under hub.api does not import FastAPI until
# create_app or HubContext is asked for.
_LAZY = {"HubContext": "hub.api.context", "create_app": "hub.api.main", "API_PREFIX": "hub.api.main"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError("module 'hub.api' has no attribute %r" % name)
