"""Rendering a console page: the Jinja2 environment, the page's headers.

Autoescape is on for every template (select_autoescape over .html), so any
text from a window business system (a matter name, a staff name) is shown as
text: `<script>` arrives as &lt;script&gt;. No template uses |safe.

Every page carries CONSOLE_CSP: scripts, styles and fetches from the hub
itself only, no inline script or style at all (the pages have none: data for
the scripts travels in data-* attributes), no frames, forms only to the hub.
"""

import datetime

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hub import halltime
from hub.console import PREFIX, static

CONSOLE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

# (path under /console, label, the page's name in templates' `active`)
NAV = [
    ("/", "大厅总览", "overview"),
    ("/feed", "实时评价", "feed"),
    ("/terminals", "终端", "terminals"),
    ("/statistics", "统计", "statistics"),
    ("/rectifications", "差评整改", "rectification"),
    ("/upstream", "省平台转发", "upstream"),
]

PRINTER_ZH = {"ok": "正常", "paper_out": "缺纸", "offline": "离线", "none": "无打印机",
              "error": "故障"}

_env = Environment(loader=PackageLoader("hub.console", "templates"),
                   autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)
_env.globals.update(static=static.url, prefix=PREFIX, nav=NAV, printer_zh=PRINTER_ZH)


def _when(ms, tz):
    """'2026-12-05 09:15:02' in the hall's zone, '' for none."""
    return halltime.show(ms, tz)[:19]


def page(request, template, viewer, status_code=200, **values):
    """The page TEMPLATE for VIEWER (None: signed out) as an HTMLResponse."""
    cfg = request.app.state.hub.cfg
    tz = halltime.zone(cfg)
    body = _env.get_template(template).render(
        viewer=viewer, hall=cfg.hall.name, when=lambda ms: _when(ms, tz),
        today=datetime.datetime.now(tz).strftime("%Y-%m-%d"), **values)
    return HTMLResponse(body, status_code=status_code, headers={
        "Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-store",
        "Referrer-Policy": "same-origin"})
