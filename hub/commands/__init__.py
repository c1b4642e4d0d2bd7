"""Hall-IT subcommands of `pingjia` (hub, terminals, invitations, ratings, backlog,
provision, export-csv, token, upstream, webhooks, user). Each module has `register(sub)` adding
its parser; `register_all` below is what hub/cli.py calls.

Exit codes (the same for every command, so scripts can rely on them):
  0  done
  1  refused: the hub's rules say no (duplicate, invitation closed, ...)
  2  bad usage or configuration (the message names the option or key)
  3  not found (unknown window, terminal, invitation, client)
  4  the data directory or database cannot be used
"""

OK = 0
REFUSED = 1
USAGE = 2
NOT_FOUND = 3
UNAVAILABLE = 4

# Order of `pingjia --help`. Modules import only the standard library at the
# top, so `pingjia --help` stays fast.
MODULES = ("hub_run", "terminals", "invitations", "ratings", "backlog", "provision",
           "export_csv", "token", "upstream", "webhooks", "rectify", "stats", "user")


def register_all(sub):
    import importlib
    for name in MODULES:
        try:
            module = importlib.import_module("hub.commands." + name)
        except ModuleNotFoundError as e:
            if e.name != "hub.commands." + name:
                raise
            continue   # a command not written yet
        module.register(sub)
