"""`pingjia` — the project's one command line (console script hub.cli:main).

The repo-root launcher ./pingjia installs what is needed, then runs this.
The hub's own commands are in hub/commands/ (each module's `register(sub)`
adds its parser and sets `run`, a function taking the parsed args and
returning the exit code). Other distributions add commands through entry
points in the group `pingjia.commands`, each a `register(sub)` function:
the developer commands (demo, test, sim, mpy, province) come that way from
devtools/pyproject.toml, so a hall that installs only the product runs
without them. A command whose parser sets the default `passthrough=True`
gets every argument after its name untouched in `args.extra`.
"""

import argparse
import sys

PLUGIN_GROUP = "pingjia.commands"


def _register_plugins(sub):
    from importlib.metadata import entry_points
    for ep in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        try:
            ep.load()(sub)
        except Exception as e:
            # A broken or half-installed plugin must not take the hub's commands with it.
            print("pingjia: skipped the commands of %s (%s): %s: %s"
                  % (ep.name, ep.value, type(e).__name__, e), file=sys.stderr)


def build_parser():
    from hub.commands import register_all
    parser = argparse.ArgumentParser(
        prog="pingjia",
        description="Window rating terminals for government-service halls: "
                    "hall hub and hall-IT commands (and, with the developer tools "
                    "installed, the simulator and the tests).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    register_all(sub)
    _register_plugins(sub)
    return parser, sub


def _passthrough(sub, argv):
    """The namespace of a passthrough command named by argv[0], or None."""
    command = sub.choices.get(argv[0]) if argv else None
    if command is None or not command.get_default("passthrough"):
        return None
    return argparse.Namespace(command=argv[0], run=command.get_default("run"), extra=argv[1:])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, sub = build_parser()
    args = _passthrough(sub, argv) or parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
