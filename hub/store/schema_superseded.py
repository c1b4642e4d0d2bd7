"""Migration step: the invitation state `superseded` (a newer invitation of
the window replaced it on the terminal before anyone rated it).

The state list is a CHECK constraint of the invitations table (step 2,
hub/store/schema_invitations.py), and SQLite cannot alter a CHECK: the table
is rebuilt, following SQLite's documented procedure for schema changes ALTER
TABLE cannot make ("Making Other Kinds Of Table Schema Changes", the twelve
steps), inside the migration's own transaction:

1. remember the CREATE statements of the table's indexes and triggers
   (sqlite_master);
2. create invitations_new: the table's stored CREATE statement with the
   released state list replaced by the new one, so that every column, also
   one a later-merged step may have added, is kept as it is;
3. copy every row, rowid included;
4. drop the old table (its indexes and triggers go with it);
5. rename invitations_new to invitations;
6. recreate the remembered indexes and triggers, unchanged: the visit index
   invitations_visit keeps its list, since superseded frees the visit as
   cancelled and expired do (hub.services.invitation_states FREES_VISIT);
7. PRAGMA foreign_key_check: the copied rows still name known windows.

Nothing references the invitations table, so its drop breaks no foreign key
(the hub runs with foreign_keys=ON, which cannot be turned off inside a
transaction). Triggers on the table are recreated, but a step that adds
triggers should still come after this one: it is simpler to read.
"""

OLD_STATES = "('queued', 'shown', 'rated', 'timed_out', 'cancelled', 'expired')"
NEW_STATES = "('queued', 'shown', 'rated', 'timed_out', 'superseded', 'cancelled', 'expired')"


def apply(conn):
    table = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' "
                         "AND name = 'invitations'").fetchone()[0]
    if table.count(OLD_STATES) != 1:
        raise RuntimeError("invitations table: its state CHECK is not the one migration step 2 "
                           "wrote, so this step cannot rebuild it; restore a backup made by "
                           "this hub's releases")
    head = "CREATE TABLE invitations ("
    if not table.startswith(head):
        raise RuntimeError("invitations table: unexpected CREATE statement %r" % table[:40])
    keep = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'invitations' "
        "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name")]
    columns = ", ".join('"%s"' % r[1] for r in conn.execute("PRAGMA table_info(invitations)"))
    conn.execute("CREATE TABLE invitations_new (" + table[len(head):]
                 .replace(OLD_STATES, NEW_STATES))
    conn.execute("INSERT INTO invitations_new (rowid, %s) SELECT rowid, %s FROM invitations "
                 "ORDER BY rowid" % (columns, columns))
    conn.execute("DROP TABLE invitations")
    conn.execute("ALTER TABLE invitations_new RENAME TO invitations")
    for sql in keep:
        conn.execute(sql)
    bad = conn.execute("PRAGMA foreign_key_check(invitations)").fetchall()
    if bad:
        raise RuntimeError("invitations table: %d rows name a window that does not exist"
                           % len(bad))
