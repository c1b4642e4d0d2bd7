"""The hub's ingest: one path from every transport (serial, MQTT) to storage.
See core.py for the interface and connection.py for what happens to a packet."""

from hub.ingest.core import Ingest  # noqa: F401
from hub.ingest.connection import Connection  # noqa: F401
