# MicroPython side of bench/fw_session_bench.py: heap of the firmware through a
# whole session (see that file). Top-level await: run by simulator/micropython/run.mjs.
import asyncio
import gc

await asyncio.sleep(0)  # noqa
gc.collect()
print("heap start=%d" % gc.mem_alloc())
import protocol.codec, protocol.session, protocol.arq  # noqa: E401,F401
await asyncio.sleep(0)  # noqa
gc.collect()
print("heap protocol=%d" % gc.mem_alloc())
import simulator.terminal_hubcore  # noqa: F401
await asyncio.sleep(0)  # noqa
gc.collect()
print("heap hubcode=%d" % gc.mem_alloc())
from mptests import mp_fw_session
await asyncio.sleep(0)  # noqa
gc.collect()
print("heap code=%d" % gc.mem_alloc())
hub = simulator.terminal_hubcore.HubCore({"T1": bytes(32)}, mp_fw_session.Rng(5).bytes, 0)
await asyncio.sleep(0)  # noqa
gc.collect()
print("heap hubcore=%d" % gc.mem_alloc())
hub = None
await asyncio.sleep(0)  # noqa
gc.collect()
await mp_fw_session.main("/flash", True)  # noqa
