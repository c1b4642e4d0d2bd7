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
