"""CPython stand-ins for MicroPython built-in modules the firmware uses.

`install()` puts this directory first on sys.path, so `import framebuf`
finds simulator/shims/framebuf.py when the real module is absent (CPython).
"""

import os
import sys

SHIMS_DIR = os.path.dirname(os.path.abspath(__file__))


def install():
    """Make the shims importable by their MicroPython names (idempotent)."""
    if SHIMS_DIR not in sys.path:
        sys.path.insert(0, SHIMS_DIR)
