# MicroPython entry for mp_fw_session (top-level await: the runner uses runPythonAsync).
#   run.mjs ... mp_fw_run.py -- FLASH_DIR [heap]
import sys
from tests.firmware import mp_fw_session

await mp_fw_session.main(sys.argv[1] if len(sys.argv) > 1 else "/flash", "heap" in sys.argv)  # noqa
