"""The hub's HTTP API for window business systems and hall IT (FastAPI).

    from hub.api import create_app, HubContext
    app = create_app(HubContext(cfg))      # serve with uvicorn

Layout by domain: routers/ (invitations, duty, ratings, terminals, health),
schemas/ (pydantic models), auth.py (per-client bearer tokens), errors.py
(every error as {"error", "message", "field"}), context.py (database thread,
ingest, health). Routes call hub.services; the rules live there, not here.
"""

from hub.api.context import HubContext  # noqa: F401
from hub.api.main import create_app, API_PREFIX  # noqa: F401
