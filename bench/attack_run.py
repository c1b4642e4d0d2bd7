"""The combined attack run as one job: the hall works while it is attacked
from 127.0.0.1 (what runs and when: tests/support/attack/run.py), then the
verdict: every rating pressed stored at the hub exactly once and held by the
platform exactly once, no 5xx, nothing forged stored or forwarded, no case
of an attacked terminal lost, and the counters of each attack.

    .venv/bin/python bench/attack_run.py --seconds 300

Exit status 1 on any violation. Results: docs/ATTACKS.md, "The combined
attack run"."""

import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT]

from tests.support.attack.run import run  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=300, help="length of the attack phase (300)")
    p.add_argument("--data", default=None, help="data directory, wiped at start (default: a temporary one)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    data = args.data or tempfile.mkdtemp(prefix="pingjia-attack-")
    started = time.monotonic()
    figures, violations = run(args.seconds, data, out=lambda s: print(s, flush=True), seed=args.seed)
    print("\nfigures (%.0f s attacked, %.0f s in all, data in %s):"
          % (args.seconds, time.monotonic() - started, data))
    for name, value in figures.items():
        print("  %-52s %s" % (name, value))
    if violations:
        print("\nverdict: %d violation(s)" % len(violations))
        for v in violations:
            print("  - " + v)
        return 1
    print("\nverdict: nothing lost, nothing doubled, no 5xx, nothing forged stored or forwarded, "
          "no targeted terminal cut off")
    return 0


if __name__ == "__main__":
    sys.exit(main())
