"""Forwarding to the provincial 好差评 platform: adapters behind one interface.

`make_adapter(cfg)` picks the adapter the hub configuration names
(`[upstream] adapter = "zhejiang" | "shandong" | "fujian"`).
"""

from hub.upstream.base import Adapter, ConfigError, Outcome

ADAPTERS = ("zhejiang", "shandong", "fujian")


def adapter_class(name):
    """The adapter class of a dialect name -> class, or None for an unknown name."""
    if name == "zhejiang":
        from hub.upstream.zhejiang import ZhejiangAdapter
        return ZhejiangAdapter
    if name == "shandong":
        from hub.upstream.shandong import ShandongAdapter
        return ShandongAdapter
    if name == "fujian":
        from hub.upstream.fujian import FujianAdapter
        return FujianAdapter
    return None


def make_adapter(cfg):
    cls = adapter_class(cfg.get("adapter"))
    if cls is None:
        raise ConfigError("upstream.adapter must be one of %s, got %r" % (", ".join(ADAPTERS), cfg.get("adapter")))
    return cls(cfg)


__all__ = ["Adapter", "ConfigError", "Outcome", "adapter_class", "make_adapter", "ADAPTERS"]
