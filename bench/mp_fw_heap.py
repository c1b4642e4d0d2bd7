# MicroPython side of bench/fw_session_bench.py: heap of the firmware through a
# whole session (see that file). Top-level await: run by simulator/micropython/run.mjs.
import asyncio
import gc


async def sample(name):
    await asyncio.sleep(0)      # the wasm port frees memory only after a yield to the host
    gc.collect()
    print("heap %s=%d" % (name, gc.mem_alloc()))


await sample("start")  # noqa
import protocol.codec, protocol.session, protocol.arq  # noqa: E401,F401,E402
await sample("protocol")  # noqa
import simulator.terminal_hubcore  # noqa: F401,E402
await sample("hubcode")  # noqa
from mptests import mp_fw_session  # noqa: E402
await sample("code")  # noqa
hub = simulator.terminal_hubcore.HubCore({"T1": bytes(32)}, mp_fw_session.Rng(5).bytes, 0)
await sample("hubcore")  # noqa
hub = None
await mp_fw_session.main("/flash", True)  # noqa
