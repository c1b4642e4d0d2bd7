"""MicroPython manifest: freezes protocol/ and firmware/ into the terminal's device image.

    make -C ports/esp32 BOARD=ESP32_GENERIC_S3 FROZEN_MANIFEST=/path/to/repo/firmware/manifest.py

(docs/FIRMWARE.md, "Building the device image", has the whole build and the
flashing.) MicroPython's build runs this file with its tools/manifestfile.py,
which supplies include(), package() and `options`; paths here are relative to
this file's folder, so the repository root is "..". Frozen code runs from
flash: its bytecode and constants take no heap (compiled from source the same
code holds ~135 KB of a 32-bit heap, docs/PERFORMANCE.md).

Board selection: of firmware/boards/ only __init__.py, the chosen board's
module (default: the reference board, esp32s3_ref) and the modules of
firmware/boards/ it imports (boards/parts.py) are frozen; the other boards
(sim, wasm, unix) need modules a device lacks. Another board's image:
a manifest of its own with
    include("/path/to/repo/firmware/manifest.py", board="myboard")
This manifest itself is not frozen.
"""

import os

options.defaults(board="esp32s3_ref")  # noqa: F821  (given by MicroPython's manifest runner)

ROOT = ".."
HERE = "firmware"


def board_files(top, board):
    """boards/__init__.py, the board's module and the modules of firmware/boards/ it
    imports (its shared parts), as paths inside the firmware package."""
    want = ["boards/__init__.py"]
    todo = [board]
    while todo:
        name = todo.pop()
        rel = "boards/%s.py" % name
        if rel in want:
            continue
        path = os.path.join(top, rel)
        if not os.path.isfile(path):
            raise ValueError("no board module firmware/%s: pass board=<a module of "
                             "firmware/boards/>" % rel)
        want.append(rel)
        with open(path) as f:
            text = f.read()
        at = text.find("firmware.boards.")
        while at >= 0:
            at += len("firmware.boards.")
            end = at
            while end < len(text) and (text[end].isalnum() or text[end] == "_"):
                end += 1
            todo.append(text[at:end])
            at = text.find("firmware.boards.", end)
    return want


def firmware_files(board):
    """The firmware package's .py files (paths inside it) for an image of BOARD."""
    top = os.path.join(ROOT, HERE)
    boards = board_files(top, board)
    out = []
    for dirpath, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in sorted(files):
            rel = os.path.relpath(os.path.join(dirpath, f), top).replace(os.sep, "/")
            if not f.endswith(".py") or rel == "manifest.py":
                continue
            if rel.startswith("boards/") and rel not in boards:
                continue
            out.append(rel)
    return out


# The port's own frozen modules (asyncio among them): a FROZEN_MANIFEST replaces
# the board's manifest, so it must bring them in itself.
include("$(PORT_DIR)/boards/manifest.py")  # noqa: F821
package("protocol", base_path=ROOT)  # noqa: F821
package(HERE, files=firmware_files(options.board), base_path=ROOT)  # noqa: F821
