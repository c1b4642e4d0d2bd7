"""The Terminal stepped with a fake clock against an in-process hub side
(tests/firmware/mp_fw_session.Rig), for cases that need a tight setup."""

import asyncio

from simulator.shims import install

install()
from tests.firmware.mp_fw_session import Rig  # noqa: E402


def test_full_journal_shows_the_error_screen_not_thanks(tmp_path):
    async def scenario():
        r = Rig(str(tmp_path / "flash"), False, journal_capacity=700)
        await r.until("online", lambda: r.hub.online)
        r.hub.auto_ack = False                   # the hub never commits: the journal fills
        shown = []
        for i in range(8):
            r.hub.invite("f%d" % i)
            await r.until("invitation", r.shows("请您对本次服务进行评价"))
            await r.press(0, 1000)
            await r.run(100)
            shown.append("谢谢您的评价" in r.texts())
            if not shown[-1]:
                break
            await r.run(4000)
        return r, shown
    r, shown = asyncio.run(scenario())
    assert shown[0] and not shown[-1], shown
    assert "存储已满，请联系工作人员" in r.texts() and "journal_full" in " ".join(r.texts())
    kept = r.term.journal.depth()
    assert kept == len(shown) - 1 and sorted(r.hub.events) == list(range(1, kept + 1))
    r.term.close()


def hello_gaps(flash, n):
    """ms between the first N+1 hellos of a terminal the hub does not know
    (it answers each with nack unknown_device)."""
    async def scenario():
        r = Rig(flash, False)
        r.hub.keys.clear()
        at = []
        while len(at) <= n:
            await r.until("hello %d" % (len(at) + 1), lambda: len(r.hub.hellos) > len(at), 70000)
            at.append(r.t)
        r.term.close()
        return [b - a for a, b in zip(at, at[1:])]
    return asyncio.run(scenario())


def test_hellos_refused_back_off_with_jitter(tmp_path):
    """Turned away, a terminal says hello again after a delay doubling from
    1 s to 60 s, each drawn between half and all of its step: two terminals
    turned away at the same moment do not come back in step."""
    gaps = [hello_gaps(str(tmp_path / ("flash%d" % i)), 8) for i in range(2)]
    for g in gaps:
        steps = [min(1000 << i, 60000) for i in range(len(g))]
        assert all(s // 2 <= d <= s + 100 for d, s in zip(g, steps)), (g, steps)
    assert gaps[0] != gaps[1]
