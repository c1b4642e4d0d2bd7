"""`pingjia token create|list|revoke` — API tokens, one per client system."""

from hub import halltime
from hub.commands import NOT_FOUND, OK
from hub.commands.common import action, arg, command, fail, load_config, table


def register(sub):
    p = sub.add_parser("token", help="API tokens for window business systems (one per client)")
    tsub = p.add_subparsers(dest="token_cmd", metavar="ACTION")
    tsub.required = True
    action(tsub, "create", "create a token for CLIENT and print it (shown once)", _create,
           arg("client", help="client system name, e.g. queue-system"),
           arg("--replace", action="store_true",
               help="issue a new token for a client that has one (the old one stops working)"))
    action(tsub, "list", "list clients that have a token", _list)
    action(tsub, "revoke", "delete CLIENT's token", _revoke, arg("client"))


def _store(cfg):
    from hub.services.tokens import TokenStore
    from hub.config import ensure_data_dir
    ensure_data_dir(cfg)
    return TokenStore(cfg.tokens_path)


@command("token create")
def _create(args):
    token = _store(load_config(args)).create(args.client, replace=args.replace)
    # The token alone on stdout, so scripts can capture it; the advice on stderr.
    print(token)
    import sys
    print("Token for %s created. Give it to the client system; it is not stored in "
          "readable form and cannot be shown again.\n"
          "Use: Authorization: Bearer <token>" % args.client, file=sys.stderr)
    return OK


@command("token list")
def _list(args):
    cfg = load_config(args)
    clients = _store(cfg).clients()
    tz = halltime.zone(cfg)
    table(["客户端 client", "创建时间 created"],
          [(name, halltime.show((c.get("created") or 0) * 1000, tz))
           for name, c in sorted(clients.items())])
    return OK


@command("token revoke")
def _revoke(args):
    from hub.services.tokens import TokenError
    try:
        _store(load_config(args)).revoke(args.client)
    except TokenError as e:
        return fail("token revoke", str(e), NOT_FOUND)
    print("Token of %s revoked." % args.client)
    return OK
