"""/docs works in a hall with no internet: the page names only the hub's own
URLs, and each file it names is served by the hub, without a token, with the
right content type (the browser run is tests/system/test_docs_browser.py)."""

from html.parser import HTMLParser

import httpx
import pytest

pytestmark = pytest.mark.anyio


class Links(HTMLParser):
    """Every src= and href= of a page."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def anonymous(api, root_path=""):
    """A client of the same app that sends no token."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app, root_path=root_path),
                             base_url="http://hub")


def page_urls(html):
    parser = Links()
    parser.feed(html)
    return parser.urls


async def test_docs_page_names_only_hub_urls_and_each_answers_without_a_token(api):
    async with anonymous(api) as client:
        page = await client.get("/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        html = page.text
        assert "://" not in html               # no CDN, no other host, not even our own by name
        assert "url: '/openapi.json'" in html  # the schema Swagger UI loads
        urls = page_urls(html)
        kinds = {}
        for url in urls:
            assert url.startswith("/") and not url.startswith("//"), url
            r = await client.get(url)
            assert r.status_code == 200, (url, r.text[:200])
            kinds[url] = r.headers["content-type"].split(";")[0]
        assert kinds == {"/docs/assets/swagger-ui.css": "text/css",
                         "/docs/assets/favicon.png": "image/png",
                         "/docs/assets/swagger-ui-bundle.js": "text/javascript"}
        bundle = await client.get("/docs/assets/swagger-ui-bundle.js")
        assert "SwaggerUIBundle" in bundle.text
        spec = await client.get("/openapi.json")
        assert spec.status_code == 200 and spec.json()["info"]["title"] == "pingjia hall hub API"


async def test_docs_behind_a_path_prefix_name_the_prefix(api):
    async with anonymous(api, root_path="/hub") as client:
        html = (await client.get("/docs")).text
    assert "url: '/hub/openapi.json'" in html
    assert sorted(page_urls(html)) == ["/hub/docs/assets/favicon.png",
                                       "/hub/docs/assets/swagger-ui-bundle.js",
                                       "/hub/docs/assets/swagger-ui.css"]


async def test_only_the_pages_files_are_served_and_redoc_stays_off(api):
    async with anonymous(api) as client:
        other = await client.get("/docs/assets/redoc.standalone.js")
        assert other.status_code == 404 and other.json()["error"] == "not_found"
        assert "swagger-ui-bundle.js" in other.json()["message"]
        for path in ("/redoc", "/docs/oauth2-redirect", "/docs/assets/../static/x"):
            assert (await client.get(path)).status_code == 404, path
        # The data stays behind the token.
        assert (await client.get("/api/v1/ratings")).status_code == 401
