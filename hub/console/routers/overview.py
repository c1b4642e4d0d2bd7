"""The hall overview (/console/): every window, its terminal and today's figures."""

from fastapi import APIRouter, Depends, Request

from hub import halltime
from hub.console import auth, overview_data, web

router = APIRouter()


async def _read(request):
    ctx = request.app.state.hub
    since = overview_data.day_start_ms(halltime.zone(ctx.cfg))
    return await ctx.run(overview_data.read, since)


@router.get("/")
async def overview(request: Request, viewer: auth.Viewer = Depends(auth.current_user)):
    return web.page(request, "overview.html", viewer, title="大厅总览", active="overview",
                    data=await _read(request))


@router.get("/overview/part")
async def overview_part(request: Request, viewer: auth.Viewer = Depends(auth.current_user)):
    """The figures alone, for overview.js to refresh the page in place."""
    return web.page(request, "overview_part.html", viewer, data=await _read(request))
