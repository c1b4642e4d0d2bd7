"""A simulated terminal on real MicroPython (WebAssembly port under Node), on a pty.

Same hands and eyes as SimTerminal (simulator/terminal.py), but the firmware
runs inside MicroPython, driven by simulator/micropython/terminal.mjs:

    term = MpTerminal("T0001", key)      # boots at once
    term.port                            # the hub opens this with pyserial
    term.press(0); term.texts(); term.png("x.png"); term.reboot()
    term.close()

The pty's master side is handed to Node as an inherited file descriptor; the
slave side is put in raw mode at once and kept open here. The flash is the
Node process's in-memory filesystem: it survives reboot() (a power cut
between two firmware steps), not close().
"""

import json
import os
import subprocess
import threading
import tty

from simulator.mpy import HARNESS_DIR, REPO_ROOT, _node

SCRIPT = os.path.join(HARNESS_DIR, "terminal.mjs")


class MpTerminal:
    def __init__(self, device_id, key, timeout=30.0):
        self.device_id = device_id
        self.timeout = timeout
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        tty.setraw(self._master)
        self.port = os.ttyname(self._slave)
        self._proc = subprocess.Popen(
            [_node(), SCRIPT, "--repo", REPO_ROOT, "--dev", device_id, "--key", key.hex(),
             "--line-fd", str(self._master)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=(self._master,), cwd=HARNESS_DIR, text=True, encoding="utf-8")
        self.log = []                   # MicroPython's and the runner's stderr lines
        self._answers = {}
        self._cond = threading.Condition()
        self._id = 0
        threading.Thread(target=self._read_answers, daemon=True).start()
        threading.Thread(target=self._read_log, daemon=True).start()

    def _read_answers(self):
        for line in self._proc.stdout:
            try:
                a = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                self._answers[a.get("id")] = a
                self._cond.notify_all()

    def _read_log(self):
        for line in self._proc.stderr:
            self.log.append(line.rstrip("\n"))

    def _ask(self, op, **kw):
        with self._cond:
            self._id += 1
            i = self._id
        kw.update(id=i, op=op)
        self._proc.stdin.write(json.dumps(kw) + "\n")
        self._proc.stdin.flush()
        with self._cond:
            if not self._cond.wait_for(lambda: i in self._answers or self._proc.poll() is not None,
                                       self.timeout):
                raise TimeoutError("terminal.mjs did not answer %s" % op)
            if i not in self._answers:
                raise RuntimeError("terminal.mjs exited:\n" + "\n".join(self.log[-20:]))
            return self._answers.pop(i)

    # -- hands ---------------------------------------------------------------------
    def press(self, button):
        self._ask("press", b=button)

    def advance(self, ms):
        self._ask("advance", ms=ms)

    def reboot(self):
        self._ask("reboot")

    def unplug(self):
        self._ask("unplug")

    def plug(self):
        self._ask("plug")

    # -- eyes ----------------------------------------------------------------------
    def state(self):
        a = self._ask("state")
        if a.get("crashed"):
            raise RuntimeError("firmware stopped: %s" % a["crashed"])
        return a

    def status(self):
        return self.state()["status"]

    def texts(self):
        return self.status().get("texts", [])

    def journal_depth(self):
        return self.status().get("depth")

    def png(self, path, scale=1):
        from simulator.screenshot import write_png
        from simulator.terminal import _Frame
        a = self.state()
        s = a["status"]
        write_png(path, _Frame(bytes.fromhex(a["frame"]), s["fg"], s["bg"],
                               [tuple(r) for r in s["regions"]]), scale)
        return path

    def close(self):
        if self._proc.poll() is None:
            try:
                self._ask("quit")
            except (RuntimeError, TimeoutError, OSError):
                pass
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for f in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            f.close()
        os.close(self._master)
        os.close(self._slave)
