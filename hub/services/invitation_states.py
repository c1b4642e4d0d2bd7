"""The lifecycle of an evaluation invitation: its states, which state may
follow which, the groups the hub's rules use, and the SQL built from them.

    queued -> shown -> rated | timed_out | superseded | cancelled | expired
    queued -> rated | timed_out | superseded | cancelled | expired
    timed_out | superseded | cancelled | expired -> rated      (a late rating)

A rating is never dropped: one that arrives after the timeout, the
supersede, the cancel or the deadline still closes its invitation as rated
(hub.services.journal flags it `late`), unless the visit was invited again
meanwhile (then the unique index invitations_visit refuses the change and
the invitation stays as it was). Nothing follows rated. Every change is an UPDATE whose WHERE names the
states it may come from (sql_may_become), so the database refuses what NEXT
does not allow even when two writers race.

Migration step 2 (hub/store/schema_invitations.py) wrote ALL into its CHECK
constraint and HOLDS_VISIT into the partial index invitations_visit; the
step that added superseded (hub/store/schema_superseded.py) rebuilt the
table with the longer CHECK, the index unchanged. That text stays as released (a migration step is never edited), and this module
imports nothing, so that the CLI can use it without loading the store;
tests/hub/test_invitation_states.py checks the real database against these
lists, so a change here without a new migration step fails there.
"""

# What each state means is said once more for the API's users, in
# hub/api/routers/invitations.py get_invitation and docs/HUB.md.
QUEUED = "queued"           # stored; its terminal has not acked the `inv` yet (offline, none assigned, in flight)
SHOWN = "shown"             # the terminal acked the `inv`: on its screen, waiting for a press
RATED = "rated"             # a rating closed it
TIMED_OUT = "timed_out"     # shown for its whole timeout and nobody finished a rating
SUPERSEDED = "superseded"   # a newer invitation of its window replaced it before anyone rated it
CANCELLED = "cancelled"     # withdrawn by a business system or hall IT
EXPIRED = "expired"         # its deadline passed before the terminal took it or it closed

ALL = (QUEUED, SHOWN, RATED, TIMED_OUT, SUPERSEDED, CANCELLED, EXPIRED)
INITIAL = QUEUED

# state -> the states that may follow it.
NEXT = {
    QUEUED: (SHOWN, RATED, TIMED_OUT, SUPERSEDED, CANCELLED, EXPIRED),
    SHOWN: (RATED, TIMED_OUT, SUPERSEDED, CANCELLED, EXPIRED),
    RATED: (),
    TIMED_OUT: (RATED,),
    SUPERSEDED: (RATED,),
    CANCELLED: (RATED,),
    EXPIRED: (RATED,),
}


def may_become(state, new):
    """True when NEXT allows STATE -> NEW."""
    return new in NEXT[state]


def before(new):
    """The states NEW may follow, in ALL order."""
    return tuple(s for s in ALL if new in NEXT[s])


# Waiting for a press: it may still be cancelled, time out or expire.
OPEN = before(CANCELLED)
# Withdrawn by the hub before a rating: the terminal is told to drop it (`cancel`).
WITHDRAWN = (CANCELLED, EXPIRED)
# Closed before the citizen could rate it: its case serial + visit is free
# again, so a mistaken invitation can be redone and a case the citizen never
# got to rate (withdrawn, or replaced on the screen by a newer case) can be
# invited again. A superseded one is not withdrawn: the terminal closed it
# itself, or never had it.
FREES_VISIT = WITHDRAWN + (SUPERSEDED,)
# 一次一评: these hold their case serial + visit; a second invitation for it
# is refused (duplicate_visit).
HOLDS_VISIT = tuple(s for s in ALL if s not in FREES_VISIT)
# Closed without a rating: a rating that arrives now is late.
LATE = tuple(s for s in before(RATED) if s not in OPEN)


def sql_in(states, column="state"):
    """SQL condition: COLUMN is one of STATES. The names are written as
    literals, not bound: the planner uses the partial index invitations_visit
    only for a WHERE it can match against the index's own literal list, and
    only this module's names (plain lowercase words) are ever written."""
    for s in states:
        if s not in ALL:
            raise ValueError("%r is not an invitation state" % (s,))
    if len(states) == 1:
        return "%s = '%s'" % (column, states[0])
    return "%s IN (%s)" % (column, ", ".join("'%s'" % s for s in states))


_MAY_BECOME_SQL = {new: sql_in(before(new)) for new in ALL if before(new)}


def sql_may_become(new):
    """The WHERE condition of an UPDATE to NEW: the current state allows it."""
    return _MAY_BECOME_SQL[new]

