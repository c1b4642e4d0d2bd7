"""`pingjia sim`: several simulated terminals at once, each on its own pty."""

import json
import subprocess
import sys

from simulator.mpy import REPO_ROOT


def test_sim_runs_three_terminals_from_a_script(tmp_path):
    script = tmp_path / "cmds.txt"
    png = tmp_path / "t2.png"
    script.write_text("sleep 0.3\nshow T0003\npress T0002 1\npng T0002 %s\nshow T9999\nquit\n" % png)
    out = subprocess.run([sys.executable, "-m", "hub.cli", "sim", "--terminals", "3", "--serial",
                          "--flash", str(tmp_path / "flash"), "--script", str(script)],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
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
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("T0001 /dev/pts/")
    assert "暂无当班人员" in lines[1]


def test_sim_over_mqtt(tmp_path, mosquitto):
    script = tmp_path / "cmds.txt"
    script.write_text("sleep 0.5\nshow T0001\nquit\n")
    out = subprocess.run([sys.executable, "-m", "hub.cli", "sim", "--mqtt",
                          "%s:%d" % (mosquitto.host, mosquitto.port), "--hall", "hall-1",
                          "--mqtt-pw",
                          "T0001=" + mosquitto.terminal_login("hall-1", "T0001")["password"],
                          "--flash", str(tmp_path / "flash"), "--script", str(script)],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "T0001 mqtt://%s:%d" % (mosquitto.host, mosquitto.port)
    assert "暂无当班人员" in lines[1]


def test_sim_refuses_unclear_links(tmp_path):
    out = subprocess.run([sys.executable, "-m", "hub.cli", "sim", "--flash", str(tmp_path)],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--serial or --mqtt" in out.stderr


def test_sim_http_api(tmp_path):
    import urllib.request
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "sim", "--terminals", "2", "--serial",
                             "--http", "0", "--flash", str(tmp_path / "flash")],
                            cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline().strip() for _ in range(3)]
        base = lines[2]
        assert base.startswith("http://127.0.0.1:")

        def call(path, method="GET"):
            req = urllib.request.Request(base + path, method=method)
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status, r.headers["Content-Type"], r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.headers["Content-Type"], e.read()

        status, _, body = call("")
        assert status == 200 and sorted(json.loads(body)) == ["T0001", "T0002"]
        status, _, body = call("T0002/screen")
        assert status == 200 and "暂无当班人员" in json.loads(body)["texts"]
        assert call("T0002/press/3", "POST")[0] == 200
        assert call("T0002/press/9", "POST")[0] == 400
        assert call("T0009/screen")[0] == 404
        status, ctype, body = call("T0001/screen.png?scale=2")
        assert status == 200 and ctype == "image/png" and body[:4] == b"\x89PNG"
    finally:
        proc.stdin.write("quit\n")
        proc.stdin.close()
        proc.wait(30)
        proc.stdout.close()
