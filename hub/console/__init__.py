"""The hall console: server-rendered pages for hall IT and the hall's managers.

Everything lives under /console/ (PREFIX): one router module per page in
routers/ (signin, overview, feed, terminals, upstream,
statistics, rectification), the Jinja2 templates
in templates/ (each page extends base.html and fills its blocks), the CSS and
JavaScript in static/, served by the hub itself (no file from another host,
and no third-party script: the few lines of JS are the project's own).

For a new page: write routers/<page>.py with `router = APIRouter()`, use
`Depends(current_user)` (any signed-in account) or `Depends(require_role
("admin"))` on an action, render with `web.page(request, "<page>.html",
viewer, ...)`, add its template extending base.html, then add the module to
PAGES below and its entry to web.NAV.

install(app) is called by hub/api/main.py create_app when [console] enabled.
"""

from fastapi.responses import RedirectResponse

PREFIX = "/console"
# The router modules of hub.console.routers, in the order they are included.
PAGES = ("signin", "overview", "feed", "terminals", "upstream", "statistics", "rectification")


def install(app):
    import importlib
    from hub.console import errors, static
    errors.install(app)
    static.install(app)
    for name in PAGES:
        module = importlib.import_module("hub.console.routers." + name)
        app.include_router(module.router, prefix=PREFIX, include_in_schema=False)

    @app.get("/", include_in_schema=False)
    async def root():
        return RedirectResponse(PREFIX + "/", status_code=303)
