"""Schemas of the terminal registry (for hall IT)."""

from pydantic import Field

from hub.api.schemas.common import Response


class ProblemOut(Response):
    """What went wrong last with a device id, and what to do about it."""
    device_id: str = Field(description="as the terminal named itself (it may not be provisioned), "
                                       "or serial:<line> before a device spoke on it")
    known: bool = Field(description="the id is provisioned on this hub")
    code: str = Field(description="auth_failed, unknown_device, dev_mismatch, no_heartbeat, "
                                  "clock_skew, link_errors or printer_fault")
    message: str = Field(description="what happened and what hall IT can do, in one sentence")
    via: str | None = Field(None, description="transport:line it came over")
    at: str = Field(description="its last occurrence")
    since: str = Field(description="its first occurrence in this run of the same code")
    count: int


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
    problem: ProblemOut | None = Field(None, description="the last problem seen with this "
                                       "terminal: the answer to why it is offline")


class TerminalList(Response):
    items: list[TerminalOut]
    online: int
    total: int
