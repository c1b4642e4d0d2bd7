"""Derived data brought up to date, through the writer, before a read shows it.

A trigger opens a rectification item but cannot read the config, so its
deadlines are filled in here (hub/services/rectification.py schedule); the
statistics' per-day cache gets the settled days it lacks
(hub/services/statistics_cache.py). The API, the console and /metrics read
the same way: each calls these first.
"""

from hub.services import rectification, statistics_cache


async def deadlines(ctx):
    """New rectification items get their deadlines."""
    if await ctx.run(rectification.needs_schedule):
        await ctx.write(rectification.schedule, rectification.rules(ctx.cfg))


async def statistics_days(ctx, by, since, until):
    """Settled days of [since, until) by BY go into the per-day cache."""
    off = ctx.cfg.hall.tz_offset_minutes * 60000
    for day_a, day_b in await ctx.run(statistics_cache.todo, by, since, until, off):
        gen, rows_r, rows_c = await ctx.run(statistics_cache.compute_days, by, day_a, day_b, off)
        await ctx.write(statistics_cache.store, by, off, day_a, day_b, gen, rows_r, rows_c)
