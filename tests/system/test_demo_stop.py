"""`pingjia demo` stops cleanly on SIGTERM and on Ctrl-C alike: it prints its
summary and leaves nothing behind (no child process, no port answering). While
it runs, the hall-IT line it prints works, each window has its own staff
member, and the output says what each citizen pressed."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from simulator.mpy import REPO_ROOT
from tests.support.poll import wait

STOP_S = 10       # "at once": the hub drains its writer, the rest just ends


def children(pid):
    """Pids whose parent is PID, read from /proc."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(name))
    return out


def running(pid):
    """PID exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False


def answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Demo:
    def __init__(self, tmp_path):
        # Its own session, as a shell gives a foreground job its own process
        # group: a Ctrl-C is then a SIGINT to that whole group.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "demo", "--every", "1", "--api-port", "0", "--seed", "11",
             "--serial-terminals", "2", "--mqtt-terminals", "1", "--data", str(tmp_path / "demo")],
            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def out(self):
        return "\n".join(self.lines)

    def find(self, pattern):
        m = re.search(pattern, self.out, re.M)
        return m and m.groups()

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def demo(tmp_path):
    d = Demo(tmp_path)
    yield d
    d.close()


def _ctrl_c(proc):
    os.killpg(proc.pid, signal.SIGINT)


def _sigterm(proc):
    os.kill(proc.pid, signal.SIGTERM)


@pytest.mark.parametrize("stop", [_sigterm, _ctrl_c], ids=["SIGTERM", "Ctrl-C"])
def test_demo_stops_everything_it_started_and_prints_its_summary(demo, stop):
    wait(lambda: demo.find(r"ratings stored at the hub: ([1-9]\d*)") or demo.proc.poll() is not None,
         timeout=120)
    assert demo.proc.poll() is None, demo.out
    api = int(demo.find(r"hub API +http://127\.0\.0\.1:(\d+)/docs")[0])
    province = int(demo.find(r"province +http://127\.0\.0\.1:(\d+)/")[0])
    broker = int(demo.find(r"broker +mqtt://127\.0\.0\.1:(\d+)")[0])
    hub_pid, broker_pid = map(int, demo.find(r"processes +hub pid (\d+), mosquitto pid (\d+)"))
    kids = children(demo.proc.pid)
    assert {hub_pid, broker_pid} <= set(kids) and all(answers(p) for p in (api, province, broker))

    # One staff member per window, and the invitations carry the window's.
    signed = dict(re.findall(r"窗口 (\S+) +签到 (A\d+) ", demo.out))
    assert sorted(signed) == ["1", "2", "3"] and len(set(signed.values())) == 3
    for window, staff in re.findall(r"窗口 (\S+) +办结 \S+ .*（(A\d+) ", demo.out):
        assert signed[window] == staff
    # What each citizen pressed: window, terminal, level (and reason) or left.
    assert re.search(r"窗口 \d+ +T000\d (评价 \S+|未评价，离开)", demo.out), demo.out

    # The line it prints for hall IT works while it runs.
    line = demo.find(r"hall-IT CLI +(PINGJIA_CONFIG=\S+ \S+ terminals)$")[0]
    cli = subprocess.run(["bash", "-c", line], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "T0001" in cli.stdout and "T0003" in cli.stdout and "3 台终端" in cli.stdout

    t0 = time.monotonic()
    stop(demo.proc)
    demo.proc.wait(STOP_S * 3)
    took = time.monotonic() - t0
    assert took < STOP_S, "stopped after %.1f s:\n%s" % (took, demo.out)
    summary = demo.find(r"summary: (\d+) ratings stored at the hub, (\d+) held by the province")
    assert summary and int(summary[0]) >= 1, demo.out
    assert re.search(r"summary: \d+ cases finished \(办结\), \d+ rated; never rated 未评价: ", demo.out)
    assert demo.proc.returncode in (0, 1), demo.out
    wait(lambda: not any(running(p) for p in kids), timeout=5)
    assert not any(answers(p) for p in (api, province, broker))
