"""The console's CSS and JavaScript, from the package itself (hub/console/static/).

They ship inside the `pingjia` distribution (package data), so a hall that
installs only the product has them; nothing is fetched from anywhere at run
time. Only the files listed in FILES are served, each with its type and a
cache lifetime; the pages name them with ?v=<hash of the file> so a new
release is never shown with an old script."""

import hashlib
from functools import lru_cache
from importlib.resources import files

from fastapi.responses import Response

from hub.console.errors import ConsoleError

STATIC_URL = "/console/static"
FILES = {
    "console.css": "text/css; charset=utf-8",
    "feed.js": "text/javascript; charset=utf-8",
    "overview.js": "text/javascript; charset=utf-8",
}


@lru_cache(maxsize=None)
def _read(name):
    return (files("hub.console") / "static" / name).read_bytes()


def url(name):
    """/console/static/NAME?v=HASH, for templates."""
    return "%s/%s?v=%s" % (STATIC_URL, name, hashlib.sha256(_read(name)).hexdigest()[:12])


def install(app):
    @app.get(STATIC_URL + "/{name}", include_in_schema=False)
    async def console_static(name: str):
        if name not in FILES:
            raise ConsoleError(404, "没有这个文件。")
        return Response(_read(name), media_type=FILES[name],
                        headers={"Cache-Control": "public, max-age=86400"})
