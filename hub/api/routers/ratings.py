"""Ratings as stored by the hub, with filters and paging."""

from typing import Literal

from fastapi import APIRouter, Query, Request

from hub import halltime
from hub.api.errors import responses
from hub.api.schemas.common import TEXT_MAX
from hub.api.schemas.ratings import RatingOut, RatingPage
from hub.errors import HubError
from hub.services import ratings

router = APIRouter(prefix="/ratings", tags=["ratings"])


@router.get("", response_model=RatingPage, responses=responses(422),
            summary="List ratings with filters and paging")
async def list_ratings(
        request: Request,
        window: str | None = Query(None, min_length=1, max_length=TEXT_MAX,
                        description="window number"),
        staff_id: str | None = Query(None, min_length=1, max_length=TEXT_MAX,
                          description="工号"),
        device_id: str | None = Query(None, min_length=1, max_length=TEXT_MAX,
                           description="terminal"),
        case_serial: str | None = Query(None, min_length=1, max_length=TEXT_MAX,
                             description="办件流水号"),
        level: int | None = Query(None, ge=1, le=5, description="5 非常满意 .. 1 非常不满意"),
        label: int | None = Query(None, json_schema_extra={"enum": sorted(ratings.LABEL_TEXTS)},
                                  description="only ratings with this reason label code (it "
                                              "must belong to `level` if both are given)"),
        bad: bool | None = Query(None, description="true: only 差评 (levels 2 and 1); false: none"),
        flagged: bool | None = Query(None, description="true: only ratings with fraud signals"),
        status: Literal["accepted", "refused"] | None = Query(None),
        since: str | None = Query(None, max_length=halltime.TEXT_MAX, description=(
            "received at or after: 2024-06-11, 2024-06-11T08:00:00+08:00 or epoch ms")),
        until: str | None = Query(None, max_length=halltime.TEXT_MAX,
                                  description="received before (same forms as since)"),
        order: Literal["desc", "asc"] = Query("desc", description="desc: newest first; asc: "
                                                                  "oldest first (for collecting)"),
        page: int = Query(1, ge=1, le=ratings.MAX_PAGE,
                          description="page number, from 1 (ignored with cursor)"),
        size: int = Query(50, ge=1, le=ratings.MAX_SIZE, description="ratings per page"),
        cursor: str | None = Query(None, max_length=ratings.CURSOR_MAX,
                                   description="`next_cursor` of the previous page")):
    """Every filter is optional and they combine with AND. Times are when the
    hub stored the rating; a naive time is the hall's local time.

    Two ways to page:
    - `page` and `size`: `total` says how many match, for a table with page
      numbers;
    - `cursor`: pass `next_cursor` from the previous answer until it is null.
      New ratings arriving meanwhile never make you skip or repeat one. To
      collect ratings as they come: `order=asc&since=<last time>` and follow
      the cursor.

    Examples:
    - bad reviews of window 12 today:
      `GET /api/v1/ratings?window=12&bad=true&since=2024-06-11`
    - 非常满意 with label 517 服务热情效率高: `GET /api/v1/ratings?level=5&label=517`

    Errors: 422 `bad_label` when `label` is not a reason label code or does
    not belong to `level` (e.g. `level=5&label=207`); 422 `bad_request` for a
    malformed time, size or cursor.
    """
    ctx = request.app.state.hub
    tz = halltime.zone(ctx.cfg)
    filters = ratings.Filters(window=window, staff_id=staff_id, device_id=device_id,
                              case_serial=case_serial, level=level, label=label, bad=bad,
                              flagged=flagged, status=status,
                              since=halltime.parse(since, "since", tz),
                              until=halltime.parse(until, "until", tz))
    result = await ctx.run(ratings.query, filters, page, size, cursor, order)
    result["items"] = [ratings.view(r, tz) for r in result["items"]]
    return result


@router.get("/{rating_id}", response_model=RatingOut, responses=responses(404),
            summary="One rating")
async def get_rating(rating_id: str, request: Request):
    """A rating by its id (`device:seq`, as in the list). Example:
    `GET /api/v1/ratings/T-0012:481`."""
    ctx = request.app.state.hub
    r = await ctx.run(ratings.get, rating_id)
    if r is None:
        raise HubError("not_found", "rating %r does not exist on this hub; ids look like "
                       "DEVICE:SEQ, as listed by GET /api/v1/ratings" % rating_id, 404,
                       field="rating_id")
    return ratings.view(r, halltime.zone(ctx.cfg))
