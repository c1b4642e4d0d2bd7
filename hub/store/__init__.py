"""The hub's storage: SQLite through sqlite-utils (see db.py for durability).

    db = open_db(path)            # WAL, synchronous=FULL, foreign keys, migrated
    with tx(db): ...              # atomic block (BEGIN IMMEDIATE / savepoint)

The running hub writes through one group-commit writer (writer.py: one
thread, one connection, durable batches; checkpoint.py beside it).

Tables by module: schema_terminals (windows, terminals, duty),
schema_invitations, schema_ratings (ratings, timeouts), schema_outbox
(outbox, audit), schema_config (config_versions), schema_links (link_boots);
reseal_contacts re-seals contacts of the retired format; migrations.py orders
them all. sealbox.py seals personal data (AES-GCM).
"""

from hub.store.db import open_db, tx, data_dir, db_path, pragma  # noqa: F401
from hub.store.migrations import LATEST as SCHEMA_VERSION  # noqa: F401
