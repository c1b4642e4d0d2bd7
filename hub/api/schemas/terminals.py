"""Schemas of the terminal registry (for hall IT)."""

from pydantic import Field

from hub.api.schemas.common import Response


class TerminalOut(Response):
    device_id: str
    window: str | None = None
    online: bool
    transport: str | None = Field(None, description="serial or mqtt, while online")
    firmware: str | None = None
    last_seen: str | None = None
    journal_depth: int | None = Field(None, description="ratings on the terminal not yet acknowledged")
    free_heap: int | None = None
    link_quality: int | None = None
    printer: str | None = None
    config_version: int | None = None


class TerminalList(Response):
    items: list[TerminalOut]
    online: int
    total: int
