"""Forwarding to the provincial 好差评 platform, for hall IT: backlog and dead letters."""

import time
from fastapi import APIRouter, Request
from pydantic import Field

from hub.api.errors import responses
from hub.api.schemas.common import Request as Body, Response, RowId

router = APIRouter(prefix="/upstream", tags=["upstream"])


class Backlog(Response):
    pending: int = Field(description="waiting to be forwarded (first try or backing off)")
    sent: int = Field(description="an attempt is under way or was cut off; it is repeated safely")
    accepted: int = Field(description="held by the provincial platform")
    rejected: int = Field(description="dead letters: refused by the platform, see /upstream/dead")
    oldest_waiting_ms: int | None = Field(None, description="creation time (epoch ms) of the oldest waiting row")


class DeadLetter(Response):
    id: int = Field(description="outbox id, for replay")
    kind: str = Field(description="case (办件 registration) or rating")
    ref: str = Field(description="evaluation id for a case, rating id (device:seq) for a rating")
    attempts: int
    last_error: str | None = Field(None, description="the platform's reason, as it gave it")
    updated_at: int


class DeadLetters(Response):
    items: list[DeadLetter]


class Replay(Body):
    ids: list[RowId] | None = Field(None, max_length=1000, description=(
        "outbox ids to replay (at most 1000 a call); omit with all=true for every one"))
    all: bool = Field(False, description="replay every dead letter")


class Replayed(Response):
    replayed: int = Field(description="how many dead letters went back to the queue")


@router.get("/backlog", response_model=Backlog, summary="Outbox backlog by state")
async def backlog(request: Request):
    """How much is waiting to reach the provincial platform. A growing
    `pending` with an old `oldest_waiting_ms` means the platform is down or
    unreachable; the hub keeps everything and retries with backoff."""
    from hub.upstream import outbox
    return await request.app.state.hub.run(outbox.backlog)


@router.get("/dead", response_model=DeadLetters, summary="Dead letters with the platform's reason")
async def dead(request: Request):
    """What the platform refused for good (a wrong code table, a field the
    province does not accept ...). Fix the cause (usually the [upstream]
    config), then POST /upstream/dead/replay."""
    from hub.upstream import outbox
    return {"items": await request.app.state.hub.run(outbox.dead_letters)}


@router.post("/dead/replay", response_model=Replayed, responses=responses(413, 422),
             summary="Send dead letters again")
async def replay(body: Replay, request: Request):
    """Example: `{"all": true}` or `{"ids": [12, 13]}`. The relay picks them up
    at once; upstream's idempotency keys make a replay of something it
    already holds harmless."""
    from hub.errors import HubError
    from hub.upstream import outbox
    if not body.all and not body.ids:
        raise HubError("bad_request", "give ids: [..] or all: true", 422, field="ids")
    n = await request.app.state.hub.write(outbox.replay, int(time.time() * 1000), None if body.all else body.ids)
    return {"replayed": n}
