"""Forwarding to the provincial 好差评 platform: adapters behind one interface.

`make_adapter(cfg)` picks the adapter the hub configuration names
(`[upstream] adapter = "zhejiang" | "shandong"`).
"""

from hub.upstream.base import Adapter, ConfigError, Outcome

ADAPTERS = ("zhejiang", "shandong")


def make_adapter(cfg):
    name = cfg.get("adapter")
    if name == "zhejiang":
        from hub.upstream.zhejiang import ZhejiangAdapter
        return ZhejiangAdapter(cfg)
    if name == "shandong":
        from hub.upstream.shandong import ShandongAdapter
        return ShandongAdapter(cfg)
    raise ConfigError("upstream.adapter must be one of %s, got %r" % (", ".join(ADAPTERS), name))


__all__ = ["Adapter", "ConfigError", "Outcome", "make_adapter", "ADAPTERS"]
