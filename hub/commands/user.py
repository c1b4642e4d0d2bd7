"""`pingjia user add|list|remove|passwd` — accounts of the hall console (/console/).

A password is typed twice at a prompt, or with --password-stdin read from the
first line of standard input (for scripts: `printf '%s\\n' "$PW" | pingjia user
add ...`); it is never an argument, so it stays out of the shell history and
the process list. hub/services/users.py says what the roles may do.
"""

import sys

from hub import halltime
from hub.commands import OK, USAGE
from hub.commands.common import action, arg, command, fail, store, table

_STDIN = arg("--password-stdin", action="store_true",
             help="read the password from the first line of standard input")


def register(sub):
    p = sub.add_parser("user", help="console accounts: admin (hall IT, may act) or manager "
                                    "(read only)")
    usub = p.add_subparsers(dest="user_cmd", metavar="ACTION")
    usub.required = True
    action(usub, "add", "make an account (password from a prompt or --password-stdin)", _add,
           arg("name", help="account name, e.g. zhang.wei"),
           arg("--role", required=True, choices=("admin", "manager"),
               help="admin: hall IT, may act; manager: reads every page, acts on nothing"),
           _STDIN)
    action(usub, "list", "every account with its role", _list)
    action(usub, "remove", "delete an account; its sessions end at once", _remove, arg("name"))
    action(usub, "passwd", "set a new password; the account's sessions end", _passwd,
           arg("name"), _STDIN)


class _NoPassword(Exception):
    pass


def _password(args):
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise _NoPassword("--password-stdin: standard input was empty")
        return line.rstrip("\r\n")
    import getpass
    if not sys.stdin.isatty():
        raise _NoPassword("no terminal to ask for the password; pass it on standard input "
                          "with --password-stdin")
    first = getpass.getpass("密码 password: ")
    if getpass.getpass("再输一次 again: ") != first:
        raise _NoPassword("the two passwords differ; nothing changed")
    return first


def _with_password(prog, args, fn):
    try:
        password = _password(args)
    except _NoPassword as e:
        return fail(prog, str(e), USAGE)
    with store(args, must_exist=False) as (_cfg, db):
        fn(db, password)
    return OK


@command("user add")
def _add(args):
    from hub.config import ensure_data_dir, load
    from hub.services import users
    users.check_name(args.name)
    ensure_data_dir(load(args.config, data_dir=args.data))
    rc = _with_password("user add", args, lambda db, pw: users.add(db, args.name, args.role, pw))
    if rc == OK:
        print("账号 %s 已创建 (%s): sign in at http://<hub>:<api port>/console/"
              % (args.name, users.ROLE_ZH[args.role]))
    return rc


@command("user list")
def _list(args):
    from hub.services import users
    with store(args) as (cfg, db):
        rows = users.list_all(db)
    tz = halltime.zone(cfg)
    table(["账号 name", "角色 role", "创建 created", "改密 changed"],
          [(u["name"], "%s %s" % (u["role"], users.ROLE_ZH[u["role"]]),
            halltime.show(u["created_at"], tz), halltime.show(u["updated_at"], tz)) for u in rows])
    if not rows:
        print("没有账号 no accounts: pingjia user add NAME --role admin")
    return OK


@command("user remove")
def _remove(args):
    from hub.services import users
    with store(args) as (_cfg, db):
        users.remove(db, args.name)
    print("账号 %s 已删除 removed; its sessions ended" % args.name)
    return OK


@command("user passwd")
def _passwd(args):
    from hub.services import users
    with store(args) as (_cfg, db):
        users.require(db, args.name)
    rc = _with_password("user passwd", args, lambda db, pw: users.set_password(db, args.name, pw))
    if rc == OK:
        print("账号 %s 密码已更新 password changed; its sessions ended" % args.name)
    return rc
