"""Terminal configuration: what the hub pushed in `cfg`, kept on flash.

Defaults (gathered here) apply until the first `cfg` arrives, and for every
key a `cfg` leaves out. A `cfg` with a version lower than the one held is
ignored (an old message replayed by a broker); equal or higher replaces the
fields it carries. The file is written by rename (flashfile.py): a power cut
leaves the old or the new file, never half of one.

Timeouts (`tmo`, seconds unless the key ends in _ms):
  thanks   how long the thanks screen stays                 (3)
  labels   time to choose reason labels after a bad level   (60)
  hb       heartbeat interval                               (30)
  read_ms  a level pressed sooner than this after the invitation was
           drawn is flagged "fast" (nobody reads a case that quickly)  (600)
  debounce_ms  button debounce                              (30)
"""

import json

from firmware.app import flashfile
from protocol import domain
from protocol.catalogue import HB_PERIOD_S

DEFAULT_TIMEOUTS = {"thanks": 3, "labels": 60, "hb": HB_PERIOD_S, "read_ms": 600, "debounce_ms": 30}
DEFAULT_BRIGHTNESS = 80
FILE = "/cfg.json"


class Config:
    def __init__(self, fs_root):
        self._path = fs_root + FILE
        self.ver = 0
        self.hall = ""
        self.win = ""
        ls = domain.national_label_set()
        self.lsv = ls["v"]
        self.labels = ls["l"]
        self.texts = {}
        self.tmo = {}
        self.bri = DEFAULT_BRIGHTNESS
        self._load()

    def _load(self):
        for text in flashfile.texts(self._path):
            try:
                d = json.loads(text)
            except ValueError:
                continue
            self._set(d)
            return

    def _set(self, d):
        self.ver = d.get("ver", self.ver)
        self.hall = d.get("hall", self.hall)
        self.win = d.get("win", self.win)
        ls = d.get("ls")
        if ls:
            self.lsv = ls["v"]
            self.labels = ls["l"]
        if "txt" in d:
            self.texts = d["txt"]
        if "tmo" in d:
            self.tmo = d["tmo"]
        self.bri = d.get("bri", self.bri)

    def apply(self, msg):
        """A checked `cfg` message -> True if taken (and persisted)."""
        if msg["ver"] < self.ver:
            return False
        self._set(msg)
        self._save()
        return True

    def _save(self):
        d = {"ver": self.ver, "hall": self.hall, "win": self.win,
             "ls": {"v": self.lsv, "l": self.labels}, "txt": self.texts,
             "tmo": self.tmo, "bri": self.bri}
        flashfile.write(self._path, json.dumps(d))

    def timeout(self, key):
        """A timeout in ms (keys ending in _ms are stored in ms already)."""
        v = self.tmo.get(key, DEFAULT_TIMEOUTS[key])
        return v if key.endswith("_ms") else v * 1000

    def text(self, key, default):
        return self.texts.get(key, default)

    def labels_for(self, level):
        return domain.labels_for_level(self.labels, level)
