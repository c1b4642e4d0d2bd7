# MicroPython entry for mp_fw_session, or with `old` mp_journal_old_records
# (top-level await: the runner uses runPythonAsync).
#   run.mjs ... mp_fw_run.py -- FLASH_DIR [heap | old]
import sys
from tests.firmware import mp_fw_session

if "old" in sys.argv:
    from tests.firmware import mp_journal_old_records
    await mp_journal_old_records.main(sys.argv[1])  # noqa
else:
    await mp_fw_session.main(sys.argv[1] if len(sys.argv) > 1 else "/flash", "heap" in sys.argv)  # noqa
