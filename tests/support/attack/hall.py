"""The attacked hall: the demo's hall (simulator/demo_parts.DemoHall: the
simulated platform, mosquitto with per-terminal users, the hub as its own
`pingjia hub` process, real firmware terminals on ptys and over MQTT) with
a wiretap on every serial cable and one more serial line that only the
attacker's device is plugged into.

    hall = AttackHall(data_dir, n_serial=3, n_mqtt=2).start()
    hall.start_hub(); hall.kill_hub(); hall.start_hub()
    hall.taps[device]           # the SerialTap on that terminal's cable
    hall.attacker_line          # the pty master fd of the attacker's line
    hall.witness.ratings        # {(device, seq): rating} the terminals journaled

The witness is what the terminals themselves recorded: every append to a
terminal's flash journal that returned (the firmware's own word that the
rating is kept, firmware/app/main.py Terminal._record). The verdict compares
the hub and the platform with it, so the judge is not the hub's own count.
"""

import json
import os
import signal
import tty

from simulator.demo_parts import HALL_CODE, DemoHall
from tests.support.attack.serial_tap import SerialTap


class Witness:
    def __init__(self):
        self.ratings = {}        # (device, seq) -> the journaled event (t == "rating")
        self.other = {}          # (device, seq) -> any other journaled event (timeouts)
        self.boots_seen = {}     # device -> journal objects wrapped (more than 1: it rebooted)

    def watch(self, sim):
        """Wrap the journal of SIM's running firmware, once per boot."""
        try:
            journal = sim.terminal.journal
        except AttributeError:
            return                          # mid-reboot
        if getattr(journal, "_witnessed", False):
            return
        append = journal.append
        device = sim.device_id

        def witnessed(seq, payload):
            append(seq, payload)            # returned: durable on the terminal's flash
            event = json.loads(payload)
            (self.ratings if event.get("t") == "rating" else self.other)[(device, seq)] = event

        journal.append = witnessed
        journal._witnessed = True
        self.boots_seen[device] = self.boots_seen.get(device, 0) + 1


class AttackHall(DemoHall):
    hall_code = HALL_CODE

    def __init__(self, data, n_serial=3, n_mqtt=2, seed=None):
        super().__init__(data, n_serial, n_mqtt, 0)
        self.seed = seed
        self.taps = {}
        self.attacker_line = None
        self.attacker_port = None
        self.witness = Witness()

    def start(self):
        self.start_platform()
        self.start_broker()
        self.provision()
        self.start_terminals()
        for i, t in enumerate(self.terminals):
            if t.port:
                self.taps[t.device_id] = SerialTap(t.port, seed=None if self.seed is None else self.seed + i)
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        self.attacker_line, self._attacker_slave = master, slave
        self.attacker_port = os.ttyname(slave)
        self.write_config()
        self.watch()
        return self

    def serial_ports(self):
        return [self.taps[t.device_id].port for t in self.terminals if t.port] + [self.attacker_port]

    def watch(self):
        for t in self.terminals:
            self.witness.watch(t)

    @property
    def targets(self):
        """The terminals the attacker aims at: the first serial and the first
        MQTT one. The others are the control group."""
        serial = [t.device_id for t in self.terminals if t.port]
        mqtt = [t.device_id for t in self.terminals if not t.port]
        return serial[:1] + mqtt[:1]

    def kill_hub(self):
        """kill -9: no writer drain, no clean disconnect, no retained offline."""
        proc = self.hub
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def close(self):
        super().close()
        for tap in self.taps.values():
            tap.close()
        if self.attacker_line is not None:
            os.close(self.attacker_line)
            os.close(self._attacker_slave)
