"""`pingjia hub` — run the hall hub: store, ingest, serial and MQTT terminals,
upstream relay, and the API (http://127.0.0.1:8700/docs by default).

Stops cleanly on SIGTERM or Ctrl-C: transports first, then the ingest
commits what it holds. Exit code 0 after a clean stop, 2 for a config
error, 4 when the data directory or the API port cannot be used.
"""

import logging

from hub.commands import OK, UNAVAILABLE, USAGE
from hub.commands.common import add_config_args, fail, load_config


def register(sub):
    p = sub.add_parser("hub", help="run the hall hub (terminals over serial and MQTT, the API)")
    add_config_args(p)
    p.add_argument("--port", type=int, help="API port (overrides [api] port)")
    p.add_argument("--host", help="API listen address (overrides [api] host)")
    p.add_argument("--check", action="store_true",
                   help="check the config, the data directory and the database, print the "
                        "settings, and exit; safe beside a running hub (opens no port, "
                        "connects to nothing, writes nothing)")
    p.set_defaults(run=run)


def run(args):
    from hub.app import Hub, configure_logging
    from hub.config import ConfigError
    from hub.upstream import ConfigError as UpstreamConfigError
    try:
        cfg = load_config(args)
    except ConfigError as e:
        return fail("hub", str(e), USAGE)
    if args.port is not None:
        if not 1 <= args.port <= 65535:
            return fail("hub", "--port must be 1..65535", USAGE)
        cfg.api.port = args.port
    if args.host:
        cfg.api.host = args.host
    if args.check:
        from hub.commands import hub_check
        return hub_check.run(cfg)
    configure_logging(cfg.hub.log_level)
    log = logging.getLogger("pingjia.hub")
    hub = Hub(cfg)
    try:
        hub.start()
    except (ConfigError, UpstreamConfigError) as e:
        hub.stop()
        return fail("hub", str(e), USAGE)
    except OSError as e:
        hub.stop()
        return fail("hub", "cannot use the data directory %s: %s" % (cfg.data_dir, e), UNAVAILABLE)
    log.info("hall %s (%s): config %s, data %s", cfg.hall.code, cfg.hall.name, cfg.source,
             cfg.data_dir)
    if cfg.api.enabled and not hub.ctx.tokens.clients():
        log.warning("no API client tokens yet: create one with `pingjia token create CLIENT`")
    try:
        hub.serve()
    except OSError as e:
        return fail("hub", str(e), UNAVAILABLE)
    return OK
