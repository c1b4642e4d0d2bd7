"""GET /api/v1/health — no token needed, so monitors and hall IT can poll it.
It renders the hub's health (hub/health.py holds the parts and the rules)."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/health", summary="Is the hub up, and are its parts connected?")
async def health(request: Request):
    """Returns the state of each part of the hub: `ok`, `starting`,
    `degraded` or `down`, with a sentence saying why.

    The status code is 200 while the API and database work, even when the
    MQTT broker is unreachable (the hub keeps serving serial terminals and
    retries the broker): check `parts.mqtt.state`. Example:

        {"status": "degraded", "hall": "hall-1", "uptime_s": 812,
         "parts": {"database": {"state": "ok", ...},
                   "mqtt": {"state": "down", "detail": "broker 127.0.0.1:1883
                            unreachable (connection refused); retrying every 5 s"}}}
    """
    ctx = request.app.state.hub
    status, parts, code = ctx.health.report()
    return JSONResponse({"status": status, "hall": ctx.cfg.hall.code, "hall_name": ctx.cfg.hall.name,
                         "uptime_s": ctx.health.uptime_s(), "parts": parts},
                        status_code=code)
