"""`pingjia sim`: run N simulated terminals, each on its own pty serial port.

    pingjia sim --terminals 3 --serial --flash /tmp/sim [--micropython]
    pingjia sim --terminals 3 --mqtt 127.0.0.1:1883 --hall hall-1 --flash /tmp/sim \
                --mqtt-pw T0001=<its broker password> ...
    T0001 /dev/pts/7
    T0002 /dev/pts/8
    ...
Then type commands on stdin (or give --script FILE with the same lines):
    press T0001 0        button 0..4 (left to right) of a terminal
    advance T0001 30000  jump that terminal's clock by ms
    png T0001 out.png    save its screen
    show T0001           print the strings on its screen
    reboot T0001         power cycle (flash kept)
    sleep 1.5            wait (in scripts)
    quit
--micropython runs each terminal's firmware on the real MicroPython
WebAssembly port (simulator/terminal_mp.py; its flash lives in memory for
the process's life) instead of CPython. --http PORT adds a small HTTP API (simulator/terminal_http.py). Device keys: read from <flash>/keys.json ({"T0001": "64 hex digits", ...})
when it exists, otherwise made at random and written there, so the hub can
be provisioned with the same keys.
"""

import json
import os
import secrets
import sys
import time


def _keys(flash, ids):
    path = os.path.join(flash, "keys.json")
    keys = {}
    if os.path.exists(path):
        with open(path) as f:
            keys = json.load(f)
    changed = False
    for dev in ids:
        if dev not in keys:
            keys[dev] = secrets.token_hex(32)
            changed = True
    if changed:
        with open(path, "w") as f:
            json.dump(keys, f, indent=1)
        os.chmod(path, 0o600)
    return {d: bytes.fromhex(keys[d]) for d in ids}


def command(terms, line, out=sys.stdout):
    """Run one command line; -> False when it was quit."""
    parts = line.split()
    if not parts or parts[0].startswith("#"):
        return True
    op = parts[0]
    if op == "quit":
        return False
    if op == "sleep":
        time.sleep(float(parts[1]))
        return True
    if len(parts) < 2 or parts[1] not in terms:
        print("sim: unknown terminal in %r; terminals: %s" % (line, " ".join(sorted(terms))), file=out)
        return True
    t = terms[parts[1]]
    try:
        if op == "press":
            t.press(int(parts[2]))
        elif op == "advance":
            t.advance(int(parts[2]))
        elif op == "png":
            print(t.png(parts[2]), file=out)
        elif op == "show":
            print(" | ".join(t.texts()), file=out)
        elif op == "reboot":
            t.reboot()
        else:
            print("sim: unknown command %r (press advance png show reboot sleep quit)" % op, file=out)
    except (IndexError, ValueError) as e:
        print("sim: bad command %r: %s" % (line, e), file=out)
    return True


def _make(args, dev, key):
    if args.mqtt:
        from simulator.terminal import SimTerminal
        host, _, port = args.mqtt.rpartition(":")
        logins = dict(x.split("=", 1) for x in args.mqtt_pw)
        return SimTerminal(dev, key, os.path.join(args.flash, dev), serial=False,
                           mqtt=(args.hall, host, int(port), dev, logins.get(dev)))
    if args.micropython:
        from simulator.terminal_mp import MpTerminal
        return MpTerminal(dev, key)
    from simulator.terminal import SimTerminal
    return SimTerminal(dev, key, os.path.join(args.flash, dev))


def run(args):
    if args.serial == bool(args.mqtt):
        print("pingjia sim: give one of --serial or --mqtt HOST:PORT", file=sys.stderr)
        return 2
    if any("=" not in x for x in args.mqtt_pw):
        print("pingjia sim: --mqtt-pw wants DEVICE=PASSWORD", file=sys.stderr)
        return 2
    if args.mqtt and (args.micropython or ":" not in args.mqtt or not args.hall):
        print("pingjia sim: --mqtt wants HOST:PORT and --hall, and runs on CPython only",
              file=sys.stderr)
        return 2
    os.makedirs(args.flash, exist_ok=True)
    ids = ["%s%04d" % (args.prefix, i + 1) for i in range(args.terminals)]
    keys = _keys(args.flash, ids)
    terms = {}
    for dev in ids:
        terms[dev] = _make(args, dev, keys[dev])
        print(dev, terms[dev].port or "mqtt://%s" % args.mqtt, flush=True)
    server = None
    if args.http is not None:
        from simulator.terminal_http import serve
        server = serve(terms, args.http)
        print("http://127.0.0.1:%d/" % server.server_address[1], flush=True)
    src = open(args.script) if args.script else sys.stdin
    try:
        for line in src:
            if not command(terms, line.strip()):
                break
        else:
            if args.script:
                return 0
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.shutdown()
        for t in terms.values():
            t.close()
    return 0


def register(sub):
    p = sub.add_parser("sim", help="run simulated terminals (the real firmware on a "
                                   "simulated board), each on a pty serial port")
    p.add_argument("--terminals", type=int, default=1, help="how many (default 1)")
    p.add_argument("--serial", action="store_true", help="link each to a pty serial port")
    p.add_argument("--mqtt", metavar="HOST:PORT", help="link each through this MQTT broker")
    p.add_argument("--hall", help="hall id of the MQTT topics (with --mqtt)")
    p.add_argument("--mqtt-pw", action="append", default=[], metavar="DEVICE=PASSWORD",
                   help="a terminal's broker password (from pingjia provision); its broker "
                        "user is its device id; once per terminal")
    p.add_argument("--flash", default="sim-flash", help="directory holding each terminal's flash")
    p.add_argument("--prefix", default="T", help="device id prefix (default T -> T0001)")
    p.add_argument("--script", help="read commands from this file instead of stdin")
    p.add_argument("--http", type=int, metavar="PORT",
                   help="also serve a tiny HTTP API on 127.0.0.1:PORT (0: any free port); "
                        "see simulator/terminal_http.py")
    p.add_argument("--micropython", action="store_true",
                   help="run the firmware on real MicroPython (WebAssembly port) instead of CPython")
    p.set_defaults(run=run)
