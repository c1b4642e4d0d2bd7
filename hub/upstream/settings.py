"""From the hub's [upstream] config section to an adapter's settings.

    [upstream]
    adapter = "zhejiang"                 # or "shandong", "fujian"; "none" = do not forward
    url = "https://hcp.example.gov.cn/zwztapi/offlinereport.do"
    area_code = "330100"
    dept_code = "<18-character unified social credit code>"
    [upstream.options]                   # whatever the adapter needs (docs/UPSTREAM.md)
    username = "..." ; password = "..." ; area_name = "..."   # zhejiang (HTTP Basic)
    app_mark = "..." ; app_word = "..."  # shandong, with sm2_public_key
    token_url = "..." ; app_key = "..." ; app_code = "..."    # fujian (gateway token, SM4 key)
    dept_name = "..." ; data_source = "3 digits"               # fujian
    batch_size = 50 ; timeout_s = 10 ; level_scale = "satisfaction" | "gbt"
    channels = { terminal = 5, qr = 3 }  # default: from [rating] channel_table
                                         # ("zhejiang": 6 SMS, 7 system default;
                                         # "national" for shandong and fujian)

Keys in options override the section's own; nothing province-specific is
in code.
"""

from protocol import domain
from hub.upstream import adapter_class
from hub.upstream.base import ConfigError

_TABLES = {"national": domain.CHANNELS_NATIONAL, "zhejiang": domain.CHANNELS_ZHEJIANG}
_MEANING = {domain.CHANNEL_TERMINAL: "政务大厅其他终端", domain.CHANNEL_QR: "二维码"}


def channel_codes(table_name):
    """Our channel names -> codes of the named national/provincial table."""
    table = _TABLES[table_name]
    by_text = {text: code for code, text in table.items()}
    return {name: by_text[text] for name, text in _MEANING.items()}


def adapter_settings(cfg):
    """-> dict for make_adapter(), or None when forwarding is switched off."""
    up = cfg.upstream
    if up.adapter == "none":
        return None
    if not up.url:
        raise ConfigError("%s: upstream.url is empty; give the provincial platform's endpoint" % cfg.source)
    out = {"adapter": up.adapter, "endpoint": up.url, "area_code": up.area_code, "dept_code": up.dept_code,
           "channels": channel_codes(cfg.rating.channel_table)}
    out.update(up.options)
    return out


def case_check(cfg):
    """The configured platform's rules for an invitation's case fields:
    fields -> None or (field, why) (Adapter.case_refusal), or None when the
    hub forwards nothing ([upstream] adapter = "none"): then nothing more
    than the wire's own rules is checked."""
    cls = adapter_class(cfg.upstream.adapter)
    return cls.case_refusal if cls is not None else None
