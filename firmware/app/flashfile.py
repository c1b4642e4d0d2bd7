"""Small files on flash written whole or not at all: the new text goes to
`<path>.tmp` and is renamed over `<path>`, so a power cut leaves the old file
or the new one, never half of one (the boot counter, the configuration).

Where rename refuses an existing target (FAT), the old file is removed first;
a cut between the two leaves only the complete `.tmp`, which `texts` offers
next.
"""

import os


def texts(path):
    """The text of PATH, then of PATH.tmp, for each that can be read: the
    caller takes the first it can parse."""
    for p in (path, path + ".tmp"):
        try:
            with open(p) as f:
                yield f.read()
        except OSError:
            continue


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        if hasattr(os, "fsync"):        # CPython; MicroPython commits on close
            os.fsync(f.fileno())
    try:
        os.rename(tmp, path)
    except OSError:
        os.remove(path)
        os.rename(tmp, path)
