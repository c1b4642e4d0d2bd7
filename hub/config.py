"""The hub's TOML configuration: defaults that run out of the box, strict checks.

Where the file comes from (first that applies):
  1. `--config PATH` on the command line (must exist),
  2. `$PINGJIA_CONFIG` (must exist),
  3. `./hub.toml` in the current directory, when present,
  4. nothing: every default applies.

Every key is listed in SCHEMA below with its default, and documented in
hub/data/hub.example.toml (a test checks both agree). An unknown key, a
value of the wrong type or out of range raises ConfigError naming the file,
the key and what to write instead: a hall's IT staff must not have to guess
why the hub will not start. A key in REMOVED (read by an earlier hub, by
nothing now) is refused the same way, with word that it can simply go.

Paths: `hub.data_dir` defaults to `$PINGJIA_DATA`, else `./var/hub` under the
current directory. A relative `data_dir` written in a file is relative to
that file's folder; other relative paths (database, token file) are relative
to the data directory.
"""

import glob
import ipaddress
import os
import re
import tomllib
from types import SimpleNamespace

from hub.halltime import CST_OFFSET_MINUTES, OFFSET_MAX, OFFSET_MIN

DEFAULT_FILE = "hub.toml"
DEFAULT_DATA_DIR = os.path.join("var", "hub")

_HALL_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")   # becomes an MQTT topic level
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class ConfigError(ValueError):
    """A config file (or option) the hub cannot run with; str() says what to fix."""

    def __init__(self, source, key, message):
        self.source = source
        self.key = key
        self.message = message
        where = "%s: %s" % (source, key) if key else source
        super().__init__("%s: %s" % (where, message))


# -- value checkers: (value) -> value, or raise ValueError(what to write) ----------

def _str(v):
    if not isinstance(v, str):
        raise ValueError("must be a string in quotes")
    return v


def _nonempty(v):
    if not _str(v).strip():
        raise ValueError("must not be empty")
    return v


def _int(lo, hi):
    def check(v):
        if type(v) is not int:
            raise ValueError("must be a whole number from %d to %d" % (lo, hi))
        if not lo <= v <= hi:
            raise ValueError("must be from %d to %d, got %d" % (lo, hi, v))
        return v
    return check


def _bool(v):
    if type(v) is not bool:
        raise ValueError("must be true or false (no quotes)")
    return v


def _one_of(*choices):
    def check(v):
        if v not in choices:
            raise ValueError("must be one of %s, got %r" % (", ".join(repr(c) for c in choices), v))
        return v
    return check


def _str_list(v):
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise ValueError('must be a list of non-empty strings, e.g. ["/dev/ttyUSB0"]')
    return list(v)


def _host(v):
    _nonempty(v)
    if any(c.isspace() for c in v) or "/" in v:
        raise ValueError("must be a host name or IP address, e.g. \"127.0.0.1\"")
    return v


def _listen(v):
    _host(v)
    try:
        ipaddress.ip_address(v)
    except ValueError:
        if v != "localhost":
            raise ValueError("must be an IP address to listen on, e.g. \"127.0.0.1\" or \"0.0.0.0\"")
    return v


def _hall_code(v):
    if not isinstance(v, str) or not _HALL_CODE.match(v):
        raise ValueError("must be 1 to 32 letters, digits, _ - or . (it becomes an MQTT topic level)")
    return v


def _client_id(v):
    if not isinstance(v, str) or (v and not _CLIENT_ID.match(v)):
        raise ValueError("must be empty (a per-hub id kept in the data directory) or "
                         "1 to 64 letters, digits, _ - or .")
    return v


def _networks(v):
    _str_list(v)
    for n in v:
        try:
            ipaddress.ip_network(n, strict=False)
        except ValueError:
            raise ValueError("%r is not a network; write addresses or networks such as "
                             "\"127.0.0.1\", \"10.0.0.0/8\" or \"::1\"" % n) from None
    return list(v)


def _table(v):
    if not isinstance(v, dict):
        raise ValueError("must be a table")
    return dict(v)


_PORT = _int(1, 65535)

# Score presets of the statistics: points for levels 5, 4, 3, 2, 1 (the hall
# rules' own tables; DESIGN: presets are configuration, not code).
SCORE_PRESETS = {"shenzhen": [10, 8, 6, 3, 0], "loudi": [100, 80, 60, 40, 0]}


def _score_preset(v):
    if isinstance(v, str):
        if v not in SCORE_PRESETS:
            raise ValueError("must be %s, or a list of 5 points for levels 5 to 1, e.g. "
                             "[10, 8, 6, 3, 0]; got %r" % (" or ".join(
                                 '"%s"' % k for k in SCORE_PRESETS), v))
        return v
    if (not isinstance(v, list) or len(v) != 5
            or not all(type(x) in (int, float) and 0 <= x <= 10000 for x in v)):
        raise ValueError("must be \"shenzhen\", \"loudi\" or a list of 5 numbers from 0 to "
                         "10000, the points of levels 5 (非常满意) to 1 (非常不满意), "
                         "e.g. [10, 8, 6, 3, 0]")
    return list(v)


def _token_or_empty(v):
    _str(v)
    if v and (len(v) < 16 or any(c.isspace() for c in v)):
        raise ValueError("must be empty (only this machine may scrape) or at least 16 "
                         "characters without spaces, e.g. from `openssl rand -hex 24`")
    return v

# section -> key -> (default, checker). A default of None means "computed"
# (see _computed_defaults). Tables marked free accept any keys (plugins).
SCHEMA = {
    "hub": {
        "data_dir": (None, _nonempty),
        "database": ("hub.sqlite3", _nonempty),
        "log_level": ("info", _one_of("debug", "info", "warning", "error")),
    },
    "hall": {
        "code": ("hall-1", _hall_code),
        "name": ("政务服务大厅", _nonempty),
        "tz_offset_minutes": (CST_OFFSET_MINUTES, _int(OFFSET_MIN, OFFSET_MAX)),
    },
    "broker": {
        "enabled": (True, _bool),
        "host": ("127.0.0.1", _host),
        "port": (1883, _PORT),
        "username": ("pingjia-hub", _str),
        "password": ("", _str),
        "client_id": ("", _client_id),
        "reload_command": ("", _str),
        "keepalive_s": (30, _int(5, 3600)),
        "retry_s": (5, _int(1, 3600)),
    },
    "serial": {
        "ports": ([], _str_list),
        "discover": (["/dev/ttyUSB*", "/dev/ttyACM*"], _str_list),
        "baudrate": (115200, _int(1200, 4000000)),
        "rescan_s": (5, _int(1, 3600)),
    },
    "api": {
        "enabled": (True, _bool),
        "host": ("127.0.0.1", _listen),
        "port": (8700, _PORT),
        "tokens_file": ("api-tokens.json", _nonempty),
    },
    "upstream": {
        "adapter": ("none", _nonempty),
        "url": ("", _str),
        "area_code": ("", _str),
        "dept_code": ("", _str),
        "in_flight": (4, _int(1, 64)),
        "options": ({}, _table),
    },
    "privacy": {
        "applicant_retention_days": (60, _int(0, 3650)),
        "applicant_max_days": (180, _int(1, 3650)),
    },
    "rating": {
        "invitation_timeout_s": (60, _int(5, 3600)),
        "invitation_expiry_s": (1800, _int(60, 7 * 86400)),
        "channel_table": ("national", _one_of("national", "zhejiang")),
    },
    "webhooks": {
        "enabled": (True, _bool),
        "allow": (["127.0.0.0/8", "::1", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
                  _networks),
        "timeout_s": (10, _int(1, 120)),
        "retry_cap_s": (600, _int(1, 86400)),
        "give_up_h": (24, _int(1, 30 * 24)),
    },
    "rectification": {
        "contact_days": (2, _int(1, 30)),
        "close_days": (10, _int(1, 120)),
    },
    "statistics": {
        "score_preset": ("shenzhen", _score_preset),
    },
    "metrics": {
        "enabled": (True, _bool),
        "token": ("", _token_or_empty),
    },
    "console": {
        "enabled": (True, _bool),
        "idle_timeout_min": (30, _int(1, 24 * 60)),
        "session_max_h": (12, _int(1, 30 * 24)),
        "secure_cookie": ("auto", _one_of("auto", "always")),
        "origins": ([], _str_list),
        "signin_failures_per_account": (5, _int(1, 1000)),
        "signin_failures_per_address": (20, _int(1, 10000)),
        "signin_window_s": (900, _int(10, 86400)),
    },
}


# Keys earlier hubs accepted that nothing reads any more. A file that still
# has one is refused like any unknown key, but told that deleting the line is
# all it takes, so a hall upgrading is not left wondering what the key became.
REMOVED = {
    "rating": ("supplementary_days", "supplementary_day_kind", "followup_days", "score_preset"),
}


class Config(SimpleNamespace):
    """Sections as attributes: cfg.hall.code, cfg.api.port, ... plus paths.

    `source` is the file read (or "<defaults>"); `data_dir`, `db_path`,
    `tokens_path` are absolute.
    """

    def serial_ports(self):
        """Listed ports plus those the discover globs find now, sorted, once each."""
        found = set(self.serial.ports)
        for pattern in self.serial.discover:
            found.update(glob.glob(pattern))
        return sorted(found)

    def as_dict(self):
        return {name: dict(vars(getattr(self, name))) for name in SCHEMA}


def find_file(explicit=None, env=None, cwd=None):
    """The config file to read, or None for pure defaults. Raises ConfigError."""
    env = os.environ if env is None else env
    if explicit:
        if not os.path.isfile(explicit):
            raise ConfigError(explicit, None, "no such config file; give an existing path "
                              "to --config (hub/data/hub.example.toml is a template)")
        return explicit
    from_env = env.get("PINGJIA_CONFIG")
    if from_env:
        if not os.path.isfile(from_env):
            raise ConfigError(from_env, None, "PINGJIA_CONFIG names a file that does not exist; "
                              "fix the variable or unset it")
        return from_env
    here = os.path.join(cwd or os.getcwd(), DEFAULT_FILE)
    return here if os.path.isfile(here) else None


def load(path=None, env=None, data_dir=None, cwd=None):
    """Read and check the config. `path` None = find_file(); `data_dir` overrides."""
    env = os.environ if env is None else env
    cwd = cwd or os.getcwd()
    path = find_file(path, env, cwd)
    raw = {}
    if path is not None:
        try:
            with open(path, "rb") as f:
                raw = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(path, None, "not valid TOML (%s); compare with "
                              "hub/data/hub.example.toml" % e) from None
        except OSError as e:
            raise ConfigError(path, None, "cannot read: %s" % e.strerror) from None
    return from_mapping(raw, source=path or "<defaults>", env=env, data_dir=data_dir, cwd=cwd)


def from_mapping(raw, source="<config>", env=None, data_dir=None, cwd=None):
    env = os.environ if env is None else env
    cwd = cwd or os.getcwd()
    sections = {}
    for name in raw:
        if name not in SCHEMA:
            raise ConfigError(source, name, "unknown section; known sections: %s"
                              % ", ".join("[%s]" % s for s in SCHEMA))
        if not isinstance(raw[name], dict):
            raise ConfigError(source, name, "must be a section, written [%s]" % name)
    for name, keys in SCHEMA.items():
        given = raw.get(name, {})
        for key in given:
            if key in REMOVED.get(name, ()):
                raise ConfigError(source, "%s.%s" % (name, key), "no longer read by this hub; "
                                  "remove it from the file (nothing replaces it)")
            if key not in keys:
                raise ConfigError(source, "%s.%s" % (name, key), "unknown key; [%s] takes: %s"
                                  % (name, ", ".join(keys)))
        values = {}
        for key, (default, check) in keys.items():
            if key not in given:
                values[key] = list(default) if isinstance(default, list) else (
                    dict(default) if isinstance(default, dict) else default)
                continue
            try:
                values[key] = check(given[key])
            except ValueError as e:
                raise ConfigError(source, "%s.%s" % (name, key), str(e)) from None
        sections[name] = SimpleNamespace(**values)
    cfg = Config(source=source, **sections)
    _cross_checks(cfg, source)
    _resolve_paths(cfg, source, env, data_dir, cwd)
    return cfg


def _cross_checks(cfg, source):
    """Rules between keys, each named with what to write."""
    p = cfg.privacy
    if p.applicant_max_days < p.applicant_retention_days:
        raise ConfigError(source, "privacy.applicant_max_days",
                          "must be at least privacy.applicant_retention_days (%d), got %d: it is the "
                          "longest any applicant identity is kept, whatever the platform's answers"
                          % (p.applicant_retention_days, p.applicant_max_days))
    r = cfg.rectification
    if r.close_days < r.contact_days:
        raise ConfigError(source, "rectification.close_days", "must be at least contact_days "
                          "(%d): an item is contacted before it is closed, got %d"
                          % (r.contact_days, r.close_days))


def _resolve_paths(cfg, source, env, override, cwd):
    if override:
        base = os.path.abspath(os.path.join(cwd, override))
    elif cfg.hub.data_dir is not None:
        folder = os.path.dirname(os.path.abspath(source)) if os.path.isfile(source) else cwd
        base = os.path.abspath(os.path.join(folder, os.path.expanduser(cfg.hub.data_dir)))
    elif env.get("PINGJIA_DATA"):
        base = os.path.abspath(os.path.join(cwd, env["PINGJIA_DATA"]))
    else:
        base = os.path.abspath(os.path.join(cwd, DEFAULT_DATA_DIR))
    cfg.hub.data_dir = base
    cfg.data_dir = base
    cfg.db_path = os.path.join(base, cfg.hub.database)
    cfg.tokens_path = os.path.join(base, cfg.api.tokens_file)


def ensure_data_dir(cfg):
    """Create the data directory (owner-only: it holds keys and tokens)."""
    try:
        os.makedirs(cfg.data_dir, mode=0o700, exist_ok=True)
    except OSError as e:
        raise ConfigError(cfg.source, "hub.data_dir", "cannot create %s: %s; choose a "
                          "writable folder" % (cfg.data_dir, e.strerror)) from None
    return cfg.data_dir
