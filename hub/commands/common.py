"""What every hall-IT command shares: config options, error reporting, tables."""

import contextlib
import functools
import os
import sqlite3
import sys
import unicodedata

from hub.commands import NOT_FOUND, REFUSED, UNAVAILABLE, USAGE


def add_config_args(p):
    p.add_argument("--config", metavar="FILE",
                   help="hub config file (default: $PINGJIA_CONFIG, else ./hub.toml, else defaults)")
    p.add_argument("--data", metavar="DIR",
                   help="data directory (overrides hub.data_dir and $PINGJIA_DATA)")


def action(sub, name, help, run, *arguments):
    """A subcommand with its arguments, given as (flags tuple, kwargs dict) pairs,
    plus --config / --data. -> the parser."""
    p = sub.add_parser(name, help=help)
    for flags, kwargs in arguments:
        p.add_argument(*flags, **kwargs)
    add_config_args(p)
    p.set_defaults(run=run)
    return p


def arg(*flags, **kwargs):
    return flags, kwargs


def print_fields(pairs):
    """Print (name, value) pairs one a line, aligned; None prints as empty."""
    for key, value in pairs:
        print("%-20s %s" % (key, "" if value is None else value))


def fail(prog, message, code):
    print("pingjia %s: %s" % (prog, message), file=sys.stderr)
    return code


def load_config(args):
    from hub import config
    return config.load(getattr(args, "config", None), data_dir=getattr(args, "data", None))


def command(prog):
    """Decorator for run functions: turns known errors into a message + exit code."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(args):
            from hub.config import ConfigError
            from hub.errors import HubError
            from hub.services.tokens import TokenError
            try:
                return fn(args)
            except ConfigError as e:
                return fail(prog, str(e), USAGE)
            except TokenError as e:
                return fail(prog, str(e), USAGE)
            except HubError as e:
                return fail(prog, e.message, NOT_FOUND if e.status == 404 else
                            USAGE if e.status in (400, 422) else REFUSED)
            except sqlite3.Error as e:
                return fail(prog, "database error: %s; check the data directory (--data) and "
                            "that the disk is not full" % e, UNAVAILABLE)
            except BrokenPipeError:
                return 0
            except OSError as e:
                return fail(prog, "%s: %s; check the path and its permissions"
                            % (e.filename or "file", e.strerror or e), UNAVAILABLE)
        return run
    return wrap


def where_it_looked(cfg):
    """How this command found its database, in words (hub/config.py has the rules)."""
    if cfg.source == "<defaults>":
        config = ("no config file (no --config, no $PINGJIA_CONFIG, no hub.toml in %s), so "
                  "the data directory is --data, else $PINGJIA_DATA, else ./var/hub"
                  % os.getcwd())
    else:
        config = "config %s" % cfg.source
    return "read %s; data directory %s" % (config, cfg.data_dir)


def open_store(cfg, must_exist=True):
    """The hub's database for this config. Raises HubError when there is none yet."""
    from hub.errors import HubError
    from hub.store import open_db
    if must_exist and not os.path.exists(cfg.db_path):
        # Hall IT most often runs a command from another folder than the hub's:
        # say where it looked and how to point it at the hub's own config.
        raise HubError("not_found", "no hub database at %s (%s); point this command at the "
                       "running hub's config with --config FILE or PINGJIA_CONFIG=FILE (or its "
                       "data directory with --data DIR), or, in a new hall, start the hub once "
                       "(`pingjia hub`)" % (cfg.db_path, where_it_looked(cfg)), 404)
    return open_db(cfg.db_path)


@contextlib.contextmanager
def store(args, must_exist=True):
    """with store(args) as (cfg, db): the config of these options and its database."""
    cfg = load_config(args)
    db = open_store(cfg, must_exist)
    try:
        yield cfg, db
    finally:
        db.close()


# -- output ----------------------------------------------------------------------

def width(text):
    """Columns `text` takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text, n):
    return text + " " * (n - width(text))


def table(headers, rows, out=None):
    """Print rows under headers, columns aligned for CJK text."""
    out = out or sys.stdout
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [width(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], width(v))
    print("  ".join(_pad(h, w) for h, w in zip(headers, widths)).rstrip(), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print("  ".join(_pad(v, w) for v, w in zip(row, widths)).rstrip(), file=out)
