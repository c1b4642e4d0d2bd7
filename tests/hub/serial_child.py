"""A hub ingest with serial ports in its own process, for the kill -9 test.

    python -m tests.hub.serial_child DB_PATH GLOB   (from the repository root)
Prints "ready" once serving, then runs until killed.
"""

import sys
import time

from hub.ingest import Ingest
from hub.transports.serial_manager import SerialManager


def main():
    db_path, pattern = sys.argv[1], sys.argv[2]
    ingest = Ingest(db_path, hall="kill-test", flood_rate=10000, flood_burst=10000)
    ingest.start()
    SerialManager(ingest, discover=[pattern], rescan_s=0.2, backoff_min=0.05).start()
    print("ready", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
