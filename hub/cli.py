"""`pingjia` — the project's one command line (console script hub.cli:main).

The repo-root launcher ./pingjia installs what is needed, then runs this.
Each subcommand is a register function below that adds its parser and sets
`run`, a function taking the parsed args and returning the exit code. To add
a subcommand (hub, simulator, ...): write `_register_NAME(sub)`, put it in
COMMANDS, and import heavy modules inside its run function so that
`pingjia --help` stays fast. A subcommand that grows beyond a few lines lives
in its own module (e.g. simulator/cli_demo.py) and only registers here.
"""

import argparse
import os
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PYTEST_NO_TESTS = 5


# -- demo ---------------------------------------------------------------------

def _register_demo(sub):
    from simulator.demo import register
    register(sub)


# -- test ---------------------------------------------------------------------

def _register_test(sub):
    p = sub.add_parser("test", help="run the test suite (pytest over tests/); "
                                    "extra arguments go to pytest",
                       add_help=False)
    p.set_defaults(run=_run_test)


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


# -- hall hub and hall-IT commands (hub/commands/*.py) ---------------------------

def _register_hub_commands(sub):
    from hub.commands import register_all
    register_all(sub)


# -- simulated terminals (simulator/terminal_cli.py) ------------------------------

def _register_sim(sub):
    from simulator.terminal_cli import register
    register(sub)


# -- dispatcher ---------------------------------------------------------------

COMMANDS = [_register_demo, _register_test, _register_mpy, _register_hub_commands, _register_sim]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="pingjia",
        description="Window rating terminals for government-service halls: "
                    "firmware, hall hub, protocol, simulator.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    # `test` hands every argument to pytest untouched (including -h, -k ...).
    if argv[:1] == ["test"]:
        args = argparse.Namespace(command="test", run=_run_test, extra=argv[1:])
    else:
        args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
