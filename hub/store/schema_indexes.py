"""Migration step 6: indexes the ingest's rating rules need at scale.

The burst check reads a terminal's previous rating (device_id, seq); without
this index every stored rating scanned the whole table.
"""

SQL = """
CREATE INDEX ratings_device_seq ON ratings(device_id, seq);
CREATE INDEX timeouts_eid ON timeouts(eid);
"""
