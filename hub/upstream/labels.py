"""The platform's national label list against the hub's label set.

Where a dialect serves the list (Shandong getnorm: adapter.labels()), hall
IT can see how the hub's current label set (hub/services/config.py)
differs, and, after checking, make a new label-set version from the
platform's list: the ingest pushes it to the terminals like any other
version. Nothing changes without `--apply`.
"""

from hub.services import config
from hub.upstream.base import Outcome


def fetch(adapter):
    """-> [(code, text)] or an Outcome (no list: the dialect has none, or the call failed)."""
    get = getattr(adapter, "labels", None)
    if get is None:
        return Outcome.permanent("the %s platform serves no label list" % adapter.name)
    return get()


def diff(hub_pairs, platform_pairs):
    """-> {"missing": [(code, text)] the platform has and the hub lacks,
           "extra": [(code, text)] the hub has and the platform lacks,
           "renamed": [(code, hub text, platform text)]}."""
    hub, up = dict(hub_pairs), dict(platform_pairs)
    return {"missing": sorted((c, t) for c, t in up.items() if c not in hub),
            "extra": sorted((c, t) for c, t in hub.items() if c not in up),
            "renamed": sorted((c, hub[c], up[c]) for c in hub.keys() & up.keys() if hub[c] != up[c])}


def hub_labels(db):
    return [(int(c), t) for c, t in config.current(db)["label_set"]["l"]]


def apply(db, platform_pairs, actor="cli"):
    """A new configuration version whose label set is the platform's list -> that version."""
    return config.push(db, labels=[[c, t] for c, t in platform_pairs],
                       note="label set from the provincial platform's list", actor=actor)
