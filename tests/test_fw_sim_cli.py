"""`pingjia sim`: several simulated terminals at once, each on its own pty."""

import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_sim_runs_three_terminals_from_a_script(tmp_path):
    script = tmp_path / "cmds.txt"
    png = tmp_path / "t2.png"
    script.write_text("sleep 0.3\nshow T0003\npress T0002 1\npng T0002 %s\nshow T9999\nquit\n" % png)
    out = subprocess.run([sys.executable, "-m", "hub.cli", "sim", "--terminals", "3", "--serial",
                          "--flash", str(tmp_path / "flash"), "--script", str(script)],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    ports = [line.split() for line in lines[:3]]
    assert [p[0] for p in ports] == ["T0001", "T0002", "T0003"]
    assert all(p[1].startswith("/dev/pts/") for p in ports)
    assert "暂无当班人员" in lines[3] and "离线" in lines[3]
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "unknown terminal" in lines[5]
    keys = json.loads((tmp_path / "flash" / "keys.json").read_text())
    assert sorted(keys) == ["T0001", "T0002", "T0003"] and all(len(k) == 64 for k in keys.values())


def test_sim_runs_a_terminal_on_micropython(tmp_path):
    script = tmp_path / "cmds.txt"
    script.write_text("sleep 1.5\nshow T0001\nquit\n")
    out = subprocess.run([sys.executable, "-m", "hub.cli", "sim", "--serial", "--micropython",
                          "--flash", str(tmp_path / "flash"), "--script", str(script)],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("T0001 /dev/pts/")
    assert "暂无当班人员" in lines[1]


def test_sim_over_mqtt(tmp_path, mosquitto):
    script = tmp_path / "cmds.txt"
    script.write_text("sleep 0.5\nshow T0001\nquit\n")
    out = subprocess.run([sys.executable, "-m", "hub.cli", "sim", "--mqtt",
                          "%s:%d" % (mosquitto.host, mosquitto.port), "--hall", "hall-1",
                          "--flash", str(tmp_path / "flash"), "--script", str(script)],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "T0001 mqtt://%s:%d" % (mosquitto.host, mosquitto.port)
    assert "暂无当班人员" in lines[1]


def test_sim_refuses_unclear_links(tmp_path):
    out = subprocess.run([sys.executable, "-m", "hub.cli", "sim", "--flash", str(tmp_path)],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--serial or --mqtt" in out.stderr
