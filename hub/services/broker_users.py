"""The hall's broker users as the hub's config and data directory define them.

- The hub's own user: `[broker] username` (default "pingjia-hub"), password
  `[broker] password`, or when that is empty a random one kept in the data
  directory (broker-hub.secret, made on first use). Rules: broker_access.hub_rules.
- One user per terminal, named by its device id, with the password
  `pingjia provision` printed (and `pingjia terminals rekey` replaced).
- The hub's MQTT client id: `[broker] client_id`, or when empty
  "pingjia-hub-<hall>-<random>" kept in the data directory (mqtt-client-id):
  a stranger who guesses a fixed id cannot kick the hub off (and without
  credentials cannot connect at all).
- After a change the broker must read its files again: `[broker]
  reload_command` (e.g. "systemctl reload mosquitto", which sends it SIGHUP)
  is run; without one the command says to reload by hand. A terminal whose
  user was removed is disconnected by mosquitto at that reload.
"""

import os
import secrets
import shlex
import subprocess

from hub.errors import HubError
from hub.services.broker_access import BrokerAccess, hub_rules, new_password, terminal_rules

HUB_SECRET_FILE = "broker-hub.secret"
CLIENT_ID_FILE = "mqtt-client-id"


def access(cfg):
    return BrokerAccess(cfg.data_dir)


def _kept(cfg, name, make):
    """A value made once and kept in the data directory (owner-only)."""
    path = os.path.join(cfg.data_dir, name)
    try:
        with open(path, encoding="utf-8") as f:
            value = f.read().strip()
        if value:
            return value
    except FileNotFoundError:
        pass
    os.makedirs(cfg.data_dir, mode=0o700, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    return value


def client_id(cfg):
    return cfg.broker.client_id or _kept(
        cfg, CLIENT_ID_FILE, lambda: "pingjia-hub-%s-%s" % (cfg.hall.code, secrets.token_hex(4)))


def hub_login(cfg):
    """(username, password) the hub connects with; ("", "") for a broker
    configured without users (`username = ""`)."""
    user = cfg.broker.username
    if not user:
        return "", cfg.broker.password
    return user, cfg.broker.password or _kept(cfg, HUB_SECRET_FILE, new_password)


def ensure_hub_user(cfg):
    """Make the password and ACL files hold the hub's user as configured.
    -> True if they changed (the broker then needs a reload)."""
    user, password = hub_login(cfg)
    a = access(cfg)
    a.ensure()
    if not user:
        return False
    if a.check(user, password) and a.rules().get(user) == hub_rules(cfg.hall.code):
        return False
    a.set_user(user, password, hub_rules(cfg.hall.code))
    return True


def check_device_id(cfg, device_id):
    if device_id == cfg.broker.username:
        raise HubError("bad_value", "device id %r is the hub's own broker user ([broker] "
                       "username); choose another id" % device_id, field="device_id")


def grant_terminal(cfg, device_id):
    """A new broker password for terminal DEVICE_ID (its user is its device id)."""
    check_device_id(cfg, device_id)
    ensure_hub_user(cfg)
    password = new_password()
    access(cfg).set_user(device_id, password, terminal_rules(cfg.hall.code, device_id))
    return password


def revoke_terminal(cfg, device_id):
    """-> True if the terminal had a broker user."""
    if device_id == cfg.broker.username:
        return False
    return access(cfg).remove_user(device_id)


def reload(cfg):
    """Tell the broker to read its files again. -> (done, what to tell hall IT)."""
    command = cfg.broker.reload_command
    files = "%s, %s" % (access(cfg).passwd_path, access(cfg).acl_path)
    if not command:
        return False, ("broker files updated (%s); reload the broker now so they apply: "
                       "systemctl reload mosquitto (or set [broker] reload_command)" % files)
    try:
        r = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, "broker reload command %r failed: %s" % (command, e)
    if r.returncode != 0:
        return False, "broker reload command %r exited %d: %s" % (
            command, r.returncode, (r.stderr or r.stdout).strip()[:200])
    return True, "broker reloaded (%s)" % command
