# tests/firmware/mp_fw_session.py (the firmware stepped against an in-process hub
# side) on the MicroPython Unix port, which has asyncio.run:
#   micropython mp_unix_session.py FLASH_DIR
import asyncio
import sys

from tests.firmware import mp_fw_session

asyncio.run(mp_fw_session.main(sys.argv[1]))
