"""`pingjia province` — run the simulated provincial 好差评 platform (for developers and the demo)."""

import time

from hub.commands import OK


def register(sub):
    p = sub.add_parser("province", help="run the simulated provincial platform (both dialects: /zj, /sd)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8790)
    p.add_argument("--area-code", default="330100")
    p.add_argument("--ledger", default=":memory:", help="SQLite file for the ledger (default: in memory)")
    p.set_defaults(run=_run)


def _run(args):
    from simulator.province.server import ProvincePlatform
    platform = ProvincePlatform(area_code=args.area_code, host=args.host, port=args.port,
                                ledger_path=args.ledger).start()
    print("simulated provincial platform on %s (Zhejiang dialect %s/zj, Shandong %s/sd, "
          "faults and ledger at %s/_control/)" % (platform.url, platform.url, platform.url, platform.url),
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        platform.stop()
    return OK
