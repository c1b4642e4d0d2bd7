"""The developer commands of `pingjia`: demo, test, sim, mpy, province.

They come with the devtools distribution (devtools/pyproject.toml), whose
entry point in the group `pingjia.commands` is `register` below; hub/cli.py
calls it after the hub's own commands. A hall that installs only the product
has none of them. Heavy modules are imported inside the run functions so
that `pingjia --help` stays fast.
"""

import argparse
import os
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PYTEST_NO_TESTS = 5


def register(sub):
    from simulator.demo import register as register_demo
    from simulator.terminal_cli import register as register_sim
    register_demo(sub)
    _register_test(sub)
    _register_mpy(sub)
    register_sim(sub)
    _register_province(sub)


# -- test ---------------------------------------------------------------------

def _register_test(sub):
    p = sub.add_parser("test", help="run the test suite (pytest over tests/); "
                                    "extra arguments go to pytest",
                       add_help=False)
    # hub/cli.py hands every argument after `test` to args.extra untouched
    # (including -h, -k ...), without parsing them.
    p.set_defaults(run=_run_test, passthrough=True)


def _pytest_args(extra, cwd):
    """Make path arguments given relative to CWD work from the repo root."""
    out = []
    for arg in extra:
        if not arg.startswith("-") and not os.path.isabs(arg):
            candidate = os.path.join(cwd, arg)
            if os.path.exists(candidate.split("::", 1)[0]):
                arg = os.path.abspath(candidate)
        out.append(arg)
    return out


def _run_test(args):
    cmd = [sys.executable, "-m", "pytest"] + _pytest_args(args.extra, os.getcwd())
    code = subprocess.call(cmd, cwd=REPO_ROOT)
    if code == PYTEST_NO_TESTS:
        print("pingjia test: pytest collected no tests — that is a failure here",
              file=sys.stderr)
        return 1
    return code


# -- mpy ----------------------------------------------------------------------

def _register_mpy(sub):
    p = sub.add_parser("mpy", help="run a script on real MicroPython (WebAssembly port)")
    p.add_argument("script", help="path of a .py file")
    p.add_argument("--mount", action="append", default=[], metavar="HOSTDIR:FSDIR",
                   help="copy HOSTDIR into MicroPython's filesystem at FSDIR "
                        "(FSDIR's parent goes on sys.path); repeatable")
    p.add_argument("--protocol", action="store_true",
                   help="mount the repo's protocol/ at /lib/protocol")
    p.add_argument("--heap", type=int, help="initial heap size in bytes")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    p.set_defaults(run=_run_mpy)


def _run_mpy(args):
    from simulator.mpy import micropython_command, protocol_mounts
    mounts = list(args.mount)
    for m in mounts:
        if ":" not in m:
            print("pingjia mpy: bad --mount %r (want HOSTDIR:FSDIR)" % m, file=sys.stderr)
            return 2
    if args.protocol:
        mounts = protocol_mounts() + mounts
    script_args = args.args[1:] if args.args[:1] == ["--"] else args.args
    try:
        cmd = micropython_command(args.script, mounts, script_args, args.heap)
    except RuntimeError as e:
        print("pingjia mpy: %s" % e, file=sys.stderr)
        return 2
    return subprocess.call(cmd)


# -- province -----------------------------------------------------------------

def _register_province(sub):
    p = sub.add_parser("province", help="run the simulated provincial platform (dialects: /zj, /sd, /fj)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8790)
    p.add_argument("--area-code", default="330100")
    p.add_argument("--ledger", default=":memory:", help="SQLite file for the ledger (default: in memory)")
    p.set_defaults(run=_run_province)


def _run_province(args):
    from simulator.province.server import ProvincePlatform
    platform = ProvincePlatform(area_code=args.area_code, host=args.host, port=args.port,
                                ledger_path=args.ledger).start()
    u = platform.url
    print("simulated provincial platform on %s (Zhejiang %s/zj/offlinereport.do, Shandong %s/sd, "
          "Fujian %s/fj/get-token and %s/fj/webservice, faults and ledger at %s/_control/)"
          % (u, u, u, u, u, u), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        platform.stop()
    return 0
