"""Run Python scripts on real MicroPython (the official WebAssembly port, under Node).

The heavy lifting is in simulator/micropython/run.mjs; this module finds
`node` and the installed npm package and starts the runner.

    result = run_micropython("tests/protocol/mp_x.py", mounts=protocol_mounts(),
                             args=["a"])
    result.returncode, result.stdout, result.stderr

Mounts are (HOSTDIR, FSDIR) pairs (or "HOSTDIR:FSDIR" strings): HOSTDIR is
copied into MicroPython's in-memory filesystem at FSDIR, and FSDIR's parent
goes on sys.path, so protocol/ mounted at /lib/protocol is `import protocol`.
If the script lies inside a mounted HOSTDIR it runs from there and its
siblings are importable. Exit codes: 0 ok, 1 the script raised (traceback on
stderr), 2 harness error, 124 timed out (this module's own convention).
"""

import os
import shutil
import subprocess

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HARNESS_DIR = os.path.join(REPO_ROOT, "simulator", "micropython")
RUNNER = os.path.join(HARNESS_DIR, "run.mjs")
PACKAGE = "@micropython/micropython-webassembly-pyscript"
TIMEOUT_EXIT = 124


class MicroPythonResult:
    """What a MicroPython run gave back (text decoded as UTF-8)."""

    __slots__ = ("returncode", "stdout", "stderr")

    def __init__(self, returncode, stdout, stderr):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    @property
    def ok(self):
        return self.returncode == 0

    def __repr__(self):
        return "MicroPythonResult(returncode=%r, stdout=%r, stderr=%r)" % (
            self.returncode, self.stdout, self.stderr)


def protocol_mounts():
    """The shared protocol package, importable as `protocol` inside MicroPython."""
    return [(os.path.join(REPO_ROOT, "protocol"), "/lib/protocol")]


def _node():
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js (`node`) is not on PATH: run ./pingjia test once "
                           "to install what the MicroPython harness needs")
    package_dir = os.path.join(HARNESS_DIR, "node_modules", *PACKAGE.split("/"))
    if not os.path.isdir(package_dir):
        raise RuntimeError("%s is not installed in %s: run ./pingjia test once to install it"
                           % (PACKAGE, os.path.join(HARNESS_DIR, "node_modules")))
    return node


def _mount_arg(mount):
    if isinstance(mount, str):
        return mount
    host, fsdir = mount
    return "%s:%s" % (os.path.abspath(host), fsdir)


def micropython_command(script, mounts=(), args=(), heap=None):
    """The argv that runs SCRIPT on MicroPython (for callers that stream output)."""
    cmd = [_node(), RUNNER]
    for mount in mounts:
        cmd += ["--mount", _mount_arg(mount)]
    if heap is not None:
        cmd += ["--heap", str(int(heap))]
    cmd.append(os.path.abspath(os.fspath(script)))
    cmd.append("--")
    cmd.extend(str(a) for a in args)
    return cmd


def _text(data):
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data


def run_micropython(script, mounts=(), args=(), heap=None, timeout=300):
    """Run SCRIPT (a .py path) on MicroPython; wait at most TIMEOUT seconds.

    Raises RuntimeError when node or the npm package is missing. A run that
    times out is killed and reported with returncode 124 and whatever it had
    printed, plus a note on stderr.
    """
    cmd = micropython_command(script, mounts, args, heap)
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        note = "\n[run_micropython] timed out after %ss and was killed\n" % timeout
        return MicroPythonResult(TIMEOUT_EXIT, _text(e.stdout), _text(e.stderr) + note)
    return MicroPythonResult(proc.returncode, _text(proc.stdout), _text(proc.stderr))
