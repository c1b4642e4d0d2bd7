"""The API's documentation page (Swagger UI at /docs), served by the hub alone.

FastAPI's default /docs page loads Swagger UI's JavaScript and CSS from a CDN;
a hall has no internet, so there it is a blank page. Here the same page loads
them from the hub: the files ship inside the PyPI package fastapi-offline (a
product dependency; docs/HUB.md says why that one), served under /docs/assets/.
The page names only the hub's own URLs. None of these routes asks for a token:
the page and its assets carry no data (/openapi.json, public as before, is the
schema only; the data stays behind the API's auth).
"""

import base64
import hashlib
import re
from importlib.resources import files

from fastapi import Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse

from hub.errors import HubError

DOCS_URL = "/docs"
ASSETS_URL = DOCS_URL + "/assets"

# What the page loads, with its content type; nothing else of the package is
# served (its ReDoc bundle stays unserved: ReDoc is off).
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}

# Swagger UI's own defaults would send the schema to its public online
# validator (outside the hall); the hub's token is a plain bearer token, so no
# OAuth2 redirect page is needed.
SWAGGER_PARAMETERS = {"validatorUrl": None}


# The page's Content-Security-Policy: its files from the hub ('self'), the one
# inline script that starts Swagger UI by its hash, the icons swagger-ui.css
# draws as data: images, the schema and "Try it out" calls to the hub itself.
# Nothing else (no other host, no eval, no frames, no forms elsewhere).
DOCS_CSP = ("default-src 'none'; script-src 'self' %s; style-src 'self'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'")
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def _csp(html):
    """DOCS_CSP allowing exactly the inline scripts of `html` (bytes)."""
    hashes = ["'sha256-%s'" % base64.b64encode(hashlib.sha256(body).digest()).decode()
              for body in _INLINE_SCRIPT.findall(html)]
    return DOCS_CSP % " ".join(hashes)


def _asset_path(name):
    return files("fastapi_offline") / "static" / name


def install(app):
    """Serve Swagger UI for `app`'s OpenAPI at /docs, its assets under /docs/assets/."""

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs_page(request: Request):
        # Behind a reverse proxy with a path prefix, every URL carries it.
        root = request.scope.get("root_path", "").rstrip("/")
        assets = root + ASSETS_URL
        page = get_swagger_ui_html(
            openapi_url=root + app.openapi_url,
            title=app.title + " - Swagger UI",
            swagger_js_url=assets + "/swagger-ui-bundle.js",
            swagger_css_url=assets + "/swagger-ui.css",
            swagger_favicon_url=assets + "/favicon.png",
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        )
        page.headers["Content-Security-Policy"] = _csp(page.body)
        return page

    @app.get(ASSETS_URL + "/{name}", include_in_schema=False)
    async def docs_asset(name: str):
        if name not in ASSETS:
            raise HubError("not_found", "no such file %s/%s; the page loads only %s"
                           % (ASSETS_URL, name, ", ".join(sorted(ASSETS))), 404)
        path = _asset_path(name)
        if not path.is_file():
            raise HubError("not_found", "Swagger UI's %s is missing from this installation; "
                           "reinstall the hub (pip install .)" % name, 404)
        return FileResponse(str(path), media_type=ASSETS[name])
