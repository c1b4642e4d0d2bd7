"""The house's import rules, checked on every .py file of the repository.

  - hub/ never imports the simulator, the firmware or the tests: a hall
    installs the product alone.
  - simulator/province/ imports nothing of the hub, the protocol or the
    firmware, nor the rest of the simulator (which drives the hub): the
    simulated platform judges the hub's adapters by its own code.
  - protocol/ is sans-IO: no sockets, files, clocks, threads or event loops.
  - protocol/ and firmware/ import only what MicroPython has (their own
    packages, the protocol, MicroPython's modules). An import inside
    `try: ... except ImportError:` is optional and may name a CPython module
    (the code falls back when it is missing).

Imports are found at any depth (inside functions and classes too), relative
ones resolved, and `importlib.import_module("x")` / `__import__("x")` with a
literal name counted.
"""

import ast
import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# What the MicroPython ports ship (docs.micropython.org, "MicroPython libraries"),
# with the u-prefixed names older ports use.
MICROPYTHON_MODULES = frozenset("""
    array asyncio binascii builtins cmath collections errno gc hashlib heapq io json
    math os platform random re select socket ssl struct sys time zlib deflate
    _thread framebuf machine micropython network bluetooth btree cryptolib uctypes
    vfs neopixel esp esp32 rp2
    uasyncio ubinascii ucollections uerrno uhashlib uheapq uio ujson uos urandom ure
    uselect usocket ussl ustruct usys utime uzlib
""".split())

# The protocol is sans-IO (bytes in, events out): no sockets, files, threads,
# event loops or hardware; the firmware and the hub bring their own I/O.
SANS_IO_FORBIDDEN = tuple("""
    asyncio uasyncio socket usocket select uselect ssl ussl network machine _thread
    os uos io uio time utime vfs
""".split())

RULES = (
    # (name, directory, allowed modules or None, forbidden modules, exempt from forbidden)
    ("hub-standalone", "hub", None, ("simulator", "firmware", "tests"), ()),
    ("province-independent", os.path.join("simulator", "province"), None,
     ("hub", "protocol", "firmware", "simulator"), ("simulator.province",)),
    ("micropython-only", "protocol", MICROPYTHON_MODULES | {"protocol"}, (), ()),
    ("sans-io", "protocol", None, SANS_IO_FORBIDDEN, ()),
    ("micropython-only", "firmware", MICROPYTHON_MODULES | {"firmware", "protocol"}, (), ()),
)
# The JS module the WebAssembly runner (simulator/micropython/terminal.mjs)
# registers for the one board that runs there; the Unix port's termios for
# the board whose UARTs are ptys.
EXTRA_ALLOWED = {os.path.join("firmware", "boards", "wasm.py"): {"simhost"},
                 os.path.join("firmware", "boards", "unix.py"): {"termios"}}


def _within(module, prefixes):
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _package_of(relpath):
    parts = relpath[:-3].split(os.sep)
    return parts[:-1]   # __init__.py and plain modules alike: the directory's package


def _catches_import_error(handler):
    names = []
    t = handler.type
    if t is None:
        return True
    for n in (t.elts if isinstance(t, ast.Tuple) else [t]):
        names.append(n.id if isinstance(n, ast.Name) else getattr(n, "attr", ""))
    return bool({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"} & set(names))


def imports_of(tree, relpath):
    """-> [(line, module, optional)] for every import in the tree."""
    optional = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
            for stmt in node.body:
                optional.update(id(n) for n in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package_of(relpath)
                package = package[:len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            names = [base if a.name == "*" else (base + "." + a.name).lstrip(".") for a in node.names]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("import_module", "__import__")):
            names = [node.args[0].value]
        found += [(node.lineno, name, id(node) in optional) for name in names]
    return found


def _sources(root, top):
    for dirpath, dirs, files in os.walk(os.path.join(root, top)):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "node_modules"))
        for f in sorted(files):
            if f.endswith(".py"):
                yield os.path.relpath(os.path.join(dirpath, f), root)


def check(root):
    """-> ["path:line: rule: imports module"] for every broken rule under root."""
    problems = []
    for rule, top, allowed, forbidden, exempt in RULES:
        for relpath in _sources(root, top):
            with open(os.path.join(root, relpath), encoding="utf-8") as f:
                text = f.read()
            try:
                tree = ast.parse(text, filename=relpath)
            except SyntaxError as e:
                problems.append("%s:%s: %s: cannot parse: %s" % (relpath, e.lineno, rule, e.msg))
                continue
            extra = EXTRA_ALLOWED.get(relpath, set())
            for line, module, optional in imports_of(tree, relpath):
                top_name = module.split(".")[0]
                if _within(module, forbidden) and not _within(module, exempt):
                    problems.append("%s:%d: %s: imports %s" % (relpath, line, rule, module))
                elif (allowed is not None and not optional
                      and top_name not in allowed and top_name not in extra):
                    problems.append("%s:%d: %s: imports %s" % (relpath, line, rule, module))
    return problems


def test_the_repository_keeps_the_import_rules():
    problems = check(REPO_ROOT)
    assert not problems, "import rules broken:\n" + "\n".join(problems)


def test_every_rule_has_files_to_check():
    for rule, top, *_ in RULES:
        assert list(_sources(REPO_ROOT, top)), "%s: no .py file under %s" % (rule, top)


def _write(root, relpath, text):
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_checker_reports_file_line_and_rule_of_each_violation(tmp_path):
    _write(tmp_path, "hub/cli.py", "import argparse\n\n\ndef main():\n    from simulator.demo import run\n")
    _write(tmp_path, "hub/app.py", "import importlib\nimportlib.import_module('firmware.app')\n")
    _write(tmp_path, "simulator/province/rules.py",
           "import re\nfrom . import codes\nfrom ..demo import x\nfrom hub.upstream.base import parse_time\n")
    _write(tmp_path, "protocol/codec.py",
           "import struct\nfrom protocol import fields\nfrom dataclasses import dataclass\n"
           "try:\n    from hmac import compare_digest\nexcept ImportError:\n    compare_digest = None\n")
    _write(tmp_path, "firmware/app/ui.py", "class Ui:\n    def draw(self):\n        import typing\n")
    _write(tmp_path, "protocol/arq.py", "import time\n")                # sans-IO: no clock of its own
    _write(tmp_path, "tests/test_x.py", "import simulator\n")   # tests may import anything
    assert sorted(check(str(tmp_path))) == sorted([
        "hub/cli.py:5: hub-standalone: imports simulator.demo.run",
        "hub/app.py:2: hub-standalone: imports firmware.app",
        "simulator/province/rules.py:3: province-independent: imports simulator.demo.x",
        "simulator/province/rules.py:4: province-independent: imports hub.upstream.base.parse_time",
        "protocol/codec.py:3: micropython-only: imports dataclasses.dataclass",
        "firmware/app/ui.py:3: micropython-only: imports typing",
        "protocol/arq.py:1: sans-io: imports time",
    ])
