"""Migration step 7: boot counters of the hub's serial links.

The hub's end of a serial link takes a new incarnation at every port open
(PROTOCOL.md §6.4). Derived from a counter kept here, incremented and
committed before the link starts (hub/transports/serial_boot.py), it never
repeats the previous one on the same line, even across hub restarts, so a
terminal never mistakes the new link for the old one.
"""

SQL = """
CREATE TABLE link_boots (
    line        TEXT PRIMARY KEY,          -- serial port path as configured or discovered
    boots       INTEGER NOT NULL,          -- port opens so far
    updated_at  INTEGER NOT NULL           -- epoch ms of the last open
);
"""
