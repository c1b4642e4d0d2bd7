"""Render every terminal screen to docs/screens/*.png (the committed snapshots).

    .venv/bin/python -m simulator.tools.render_screens [--out docs/screens] [--scale 2]

Uses the sample data of simulator/tools/screen_samples.py (also what the
tests compare between CPython and MicroPython), the
real font and the CPython framebuf shim; the PNG shows the panel's colours.
"""

import argparse
import os
import sys

from simulator.shims import install

install()

from firmware.ui.canvas import Canvas  # noqa: E402
from firmware.ui.font import Font  # noqa: E402
from firmware.ui import screens  # noqa: E402
from simulator.screenshot import write_png  # noqa: E402
from simulator.tools.screen_samples import SAMPLES  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def render(out_dir, scale=2, font=None):
    """Write one PNG per sample into OUT_DIR; return the paths written."""
    font = font or Font()
    cv = Canvas(font)
    paths = []
    for name, screen, data, online in SAMPLES:
        screens.show(cv, screen, data, online)
        path = os.path.join(out_dir, name + ".png")
        write_png(path, cv, scale)
        paths.append(path)
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "docs", "screens"))
    ap.add_argument("--scale", type=int, default=2, help="pixel size in the PNG (default 2)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for path in render(args.out, args.scale):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
