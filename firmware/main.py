"""Device entry point: on the reference terminal this file is /main.py.

The board is made here and nowhere else; everything after it is the same
application that runs in the simulators (firmware/app/main.py).
"""

import asyncio

from firmware.app.main import main

if __name__ == "__main__":
    from firmware.boards import esp32s3_ref
    asyncio.run(main(esp32s3_ref.make()))
