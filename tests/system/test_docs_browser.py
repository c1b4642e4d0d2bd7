"""/docs in a real browser in a hall with no internet: `pingjia hub` in a
subprocess on a free port, Debian's headless Chromium driven by Playwright,
every request to another host aborted and recorded. Swagger UI must render
the API from the hub's files alone, with no error in the console, under the
page's own Content-Security-Policy (a violation is a console error).

The browser is /usr/bin/chromium (the launcher installs Debian's `chromium`);
Playwright never downloads one of its own."""

import signal
import subprocess
import sys

import pytest
from playwright.sync_api import sync_playwright

from simulator.mpy import REPO_ROOT
from simulator.ports import free_port
from tests.support.api import wait_http

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = "/tmp/pingjia-docs.png"     # for a person to look at; not part of the repository


@pytest.fixture
def hub(tmp_path):
    """The hub as hall IT runs it, with no broker and no serial ports: the API only."""
    port = free_port()
    config = tmp_path / "hub.toml"
    config.write_text('[hub]\ndata_dir = "data"\n[broker]\nenabled = false\n'
                      '[serial]\ndiscover = []\n[api]\nport = %d\n' % port, encoding="utf-8")
    log = open(tmp_path / "hub.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "hub", "--config", str(config)],
                            cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = "http://127.0.0.1:%d" % port
    try:
        wait_http(base + "/api/v1/health", timeout=30)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_docs_render_from_the_hub_alone_with_the_network_blocked(hub):
    outside, console_errors, hub_requests = [], [], []

    def only_the_hub(route):
        url = route.request.url
        if url == hub or url.startswith(hub + "/"):
            hub_requests.append(url)
            route.continue_()
        else:
            outside.append(url)
            route.abort("internetdisconnected")

    with sync_playwright() as pw:
        # The host resolver rule is a second wall: no name outside resolves at all.
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--host-resolver-rules=MAP * ~NOTFOUND, "
                                           "EXCLUDE 127.0.0.1"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
            page.on("pageerror", lambda e: console_errors.append(str(e)))
            page.route("**/*", only_the_hub)
            answer = page.goto(hub + "/docs", wait_until="networkidle")
            # Enforced by the browser: a blocked script, style or image is a console error.
            csp = answer.headers["content-security-policy"]
            assert "default-src 'none'" in csp and "script-src 'self' 'sha256-" in csp
            assert outside == [], "requests outside the hall: %s" % outside
            title = page.locator("#swagger-ui .info .title")
            title.wait_for(timeout=20000)
            assert title.inner_text().startswith("pingjia hall hub API")
            post = page.locator('.opblock-post [data-path="/api/v1/invitations"]')
            post.wait_for(timeout=20000)
            assert post.is_visible()
            assert page.locator(".opblock").count() >= 10      # the whole operation list
            page.screenshot(path=SCREENSHOT, full_page=False)
            # The page works, not only renders: try the health call from it.
            health = page.locator('.opblock-get:has([data-path="/api/v1/health"])')
            health.locator(".opblock-summary").click()
            health.locator("button.try-out__btn").click()
            health.locator("button.execute").click()
            status = health.locator(".live-responses-table tbody td.response-col_status").first
            status.wait_for(timeout=20000)
            assert status.inner_text().strip().startswith("200")
        finally:
            browser.close()

    assert outside == [], "requests outside the hall: %s" % outside
    assert console_errors == [], console_errors
    assert hub + "/openapi.json" in hub_requests
    assert hub + "/docs/assets/swagger-ui-bundle.js" in hub_requests
