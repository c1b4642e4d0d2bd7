"""Domain services over the hub's Database: the rules of docs/DOMAIN.md live here.

Plain functions taking a sqlite_utils.Database first, used by the API, the
CLI and the ingest alike. Refusals raise hub.errors.HubError. Times are epoch
milliseconds; every function that records a time takes `now=None` (the
current time) so tests and replays can pass their own clock.

Modules: windows, terminals, duty, invitations, journal (ratings and
timeouts from terminals), ratings (the read model of the API and the CLI),
config, timesync, audit, rectification (差评整改 items), statistics (with
statistics_cache and statistics_export); tokens (the API clients' tokens, a file, not the
database).
"""
