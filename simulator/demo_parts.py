"""The pieces `pingjia demo` puts together: a hall (platform, broker, terminals, config)
and the citizens standing at its windows."""

import os
import subprocess
import sys
import time

import httpx

from firmware.app.flow import INVITE, LABELS, LEVEL_OF_BUTTON
from protocol import domain
from simulator.broker import MosquittoBroker
from simulator.ports import free_port
from simulator.province.server import ProvincePlatform

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HALL_CODE = "demo-hall"
# Weights of what a citizen presses: mostly content, sometimes not (docs/DOMAIN.md, "Fraud").
CHOICES = ((0, 50), (1, 25), (2, 12), (3, 6), (4, 4), (None, 3))   # button 0 = 非常满意; None = walks away
# The demo's console accounts (README): a documented password, not a secret;
# the demo's hub listens on loopback only.
DEMO_ACCOUNTS = (("admin", "admin"), ("manager", "manager"))
DEMO_PASSWORD = "pingjia-demo"


def wait_http(url, proc, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the hub did not start (exit %s); its log: %s" % (proc.returncode, log_path))
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the hub did not answer at %s within %d s; its log: %s" % (url, timeout, log_path))


class DemoHall:
    def __init__(self, data, n_serial, n_mqtt, api_port):
        self.data = data
        os.makedirs(os.path.join(data, "screens"), exist_ok=True)
        self.n_serial, self.n_mqtt = n_serial, n_mqtt
        self.api_port = api_port or free_port()
        self.api = "http://127.0.0.1:%d" % self.api_port
        self.platform = None
        self.broker = None
        self.terminals = []
        self.keys = {}
        self.windows = []
        self.window_of = {}     # device id -> its window
        self.token = None
        self.hub = None         # the hub's process, from start_hub
        self.config_path = os.path.join(data, "hub.toml")

    def start(self):
        """Everything but the hub: province, broker, keys, terminals, the hub's config."""
        self.start_platform()
        self.start_broker()
        self.provision()
        self.start_terminals()
        self.write_config()

    def start_hub(self):
        """`pingjia hub` on this hall's config, in its own process, once it answers."""
        log_path = os.path.join(self.data, "hub.log")
        # Its own session: a Ctrl-C at the terminal goes to the whole foreground
        # process group, and the hub must outlive it for the demo's summary;
        # the demo stops it itself (simulator/demo.py).
        with open(log_path, "a") as log:
            proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "hub", "--config", self.config_path],
                                    cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.hub = proc         # before the wait: a stop meanwhile must find it
        wait_http(self.api + "/api/v1/health", proc, log_path)
        return proc

    def stop_hub(self):
        """SIGTERM (the hub commits what its writer holds), SIGKILL after 20 s."""
        proc = self.hub
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def start_platform(self):
        self.platform = ProvincePlatform(area_code="330100", port=0).start()

    def start_broker(self):
        # The broker reads its users from the hub's data directory, as in a hall:
        # `pingjia provision` / `terminals remove` in the demo change them.
        self.broker = MosquittoBroker(os.path.join(self.data, "broker"), own_session=True,
                                      access_dir=self.data)
        self.broker.start()

    def provision(self):
        from hub.services.tokens import TokenStore
        from hub.services import terminals
        from hub.store import open_db
        db = open_db(os.path.join(self.data, "hub.sqlite3"))
        for i in range(self.n_serial + self.n_mqtt):
            window = str(i + 1)
            device = "T%04d" % (i + 1)
            self.keys[device] = bytes.fromhex(terminals.provision(db, device, window, actor="demo"))
            self.windows.append(window)
            self.window_of[device] = window
        from hub.services import users
        for name, role in DEMO_ACCOUNTS:
            users.add(db, name, role, DEMO_PASSWORD, actor="demo")
        db.close()
        self.token = TokenStore(os.path.join(self.data, "api-tokens.json")).create("demo-business-system")

    def start_terminals(self):
        from simulator.terminal import SimTerminal
        for i, (device, key) in enumerate(sorted(self.keys.items())):
            flash = os.path.join(self.data, "flash", device)
            os.makedirs(flash, exist_ok=True)
            if i < self.n_serial:
                t = SimTerminal(device, key, flash)
            else:
                login = self.broker.terminal_login(HALL_CODE, device)
                t = SimTerminal(device, key, flash, serial=False,
                                mqtt=(HALL_CODE, self.broker.host, self.broker.port,
                                      device, login["password"]))
            self.terminals.append(t)

    def serial_ports(self):
        """The lines the hub opens: each serial terminal's pty (a hall with
        something on the cable in between names that instead)."""
        return [t.port for t in self.terminals if t.port]

    def write_config(self):
        ports = ", ".join('"%s"' % p for p in self.serial_ports())
        text = """# Written by `pingjia demo`: the embedded defaults plus where the demo's parts listen.
[hub]
data_dir = "{data}"

[hall]
code = "{hall}"
name = "演示政务服务大厅"

[broker]
host = "{bhost}"
port = {bport}
password = "{bpw}"
reload_command = "kill -HUP {bpid}"

[serial]
ports = [{ports}]
discover = []

[api]
port = {api}

[upstream]
adapter = "zhejiang"
url = "{province}/zj/offlinereport.do"
area_code = "330100"
dept_code = "91330100MA27XL0E1D"

[upstream.options]
username = "hall-user"
password = "hall-pass"
area_name = "杭州市"
pro_depart = "杭州市市场监督管理局"
"""
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(text.format(data=self.data, hall=HALL_CODE, bhost=self.broker.host, bport=self.broker.port,
                                bpw=self.broker.hub_login(HALL_CODE)["password"], bpid=self.broker.pid,
                                ports=ports, api=self.api_port, province=self.platform.url))

    def close(self):
        """Stop everything started: the hub first (it still has terminals to
        hear from while it drains), then terminals, broker and platform."""
        self.stop_hub()
        for t in self.terminals:
            try:
                t.close()
            except Exception:  # a terminal that failed to boot has nothing to close
                pass
        if self.broker is not None:
            self.broker.stop()
        if self.platform is not None:
            self.platform.stop()


class Citizens:
    """One citizen per window: reads the screen for a moment, then presses."""

    def __init__(self, terminals, rnd, walk_away=True, read_s=(1.5, 4.0)):
        self.terminals = terminals
        self.rnd = rnd
        self.walk_away = walk_away
        self.read_s = read_s
        self.plan = {}      # device -> (time, [buttons to press in turn], what it does or None)
        self.seen = {}      # device -> screen last seen
        # What citizens did, oldest first, for the demo to print and take:
        # (device, level, reason label text or None); level None = walked away.
        self.pressed = []

    def _choose(self):
        choices = [(b, w) for b, w in CHOICES if b is not None or self.walk_away]
        x = self.rnd.uniform(0, sum(w for _b, w in choices))
        for button, w in choices:
            x -= w
            if x <= 0:
                return button
        return 0

    def step(self):
        now = time.monotonic()
        for t in self.terminals:
            try:
                showing = t.showing
            except Exception:  # mid-reboot
                continue
            # Keyed by the invitation too: when polling 54 terminals is slower
            # than the thanks screen, one invitation's screen is followed by the
            # next one's with nothing seen in between.
            if showing != self.seen.get(t.device_id):
                self.seen[t.device_id] = showing
                screen = showing[0]
                if screen == INVITE:
                    button = self._choose()
                    if button is None:
                        self.pressed.append((t.device_id, None, None))
                    else:
                        level = LEVEL_OF_BUTTON[button]
                        done = None if domain.is_bad(level) else (t.device_id, level, None)
                        self.plan[t.device_id] = (now + self.rnd.uniform(*self.read_s), [button], done)
                elif screen == LABELS:
                    # Pick one reason (toggle the first), then done.
                    flow = t.terminal.flow          # a glance, as `showing` is
                    label = flow.items[0][1] if flow.items else None
                    self.plan[t.device_id] = (now + self.rnd.uniform(*self.read_s), [2, 3],
                                              (t.device_id, flow.level, label))
                else:
                    self.plan.pop(t.device_id, None)
            due = self.plan.get(t.device_id)
            if due and now >= due[0]:
                buttons = due[1]
                try:
                    t.press(buttons.pop(0))
                except TimeoutError:
                    pass    # the terminal's loop is busy drawing: the press is queued there
                if buttons:
                    self.plan[t.device_id] = (now + 0.8, buttons, due[2])
                else:
                    del self.plan[t.device_id]
                    if due[2] is not None:
                        self.pressed.append(due[2])
