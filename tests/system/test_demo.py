"""`pingjia demo` — the README's main command — runs the whole system end to end."""

import os
import re
import subprocess
import sys

from simulator.mpy import REPO_ROOT


def test_demo_rates_and_forwards_everything(tmp_path):
    p = subprocess.run([sys.executable, "-m", "hub.cli", "demo", "--duration", "30", "--every", "1.5",
                        "--api-port", "0", "--seed", "7", "--data", str(tmp_path / "demo")],
                       cwd=REPO_ROOT, capture_output=True, text=True, timeout=180)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "T0001 (/dev/pts/" in out and "T0005 (MQTT)" in out
    assert "办结" in out
    m = re.search(r"summary: (\d+) ratings stored at the hub, (\d+) held by the province, 0 waiting, "
                  r"0 dead letters", out)
    assert m, out
    stored, held = int(m.group(1)), int(m.group(2))
    assert stored >= 5 and stored == held
    screens = os.listdir(tmp_path / "demo" / "screens")
    assert sorted(screens) == ["T000%d.png" % i for i in range(1, 6)]
