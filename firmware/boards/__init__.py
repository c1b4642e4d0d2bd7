"""Boards: everything the application may touch of the hardware, behind one interface.

The application (firmware/app/) never imports `machine`, `network` or a
driver: it is handed one board object and uses only what is listed here. So
the same app files run on the reference terminal (esp32s3_ref.py), on
CPython and on the MicroPython WebAssembly port (sim.py, driven by a host),
and on the MicroPython Unix port (unix.py: ptys, files, sockets, a hard heap
cap). Pieces more than one board uses are in parts.py.

Import path. Modules import each other as `firmware.app.flow`,
`firmware.boards.sim`, `protocol.codec`: on CPython the repo root is on
sys.path; on the device firmware/ and protocol/ are copied to /lib (the
root main.py only calls firmware.main), and the WebAssembly runner mounts
them at /lib/firmware and /lib/protocol.

What every board provides
-------------------------
name                 short token for `hello.board`, e.g. "esp32s3_ref", "sim"
caps                 tuple of capability tokens for `hello.caps` ("uart", "printer", ...)
fs_root              writable flash directory, ending without "/"; the app keeps
                     its journal, config and boot counter there
identity()           -> (device_id, key): id for `hello.dev`, 32-byte device key
                     (provisioned on flash; the app never prints the key)
ticks_ms()           -> int, monotonic milliseconds, never wraps (the board
                     extends a wrapping hardware counter itself)
random_bytes(n)      -> n bytes from the best random source the board has
free_heap()          -> int bytes free on the heap (0 where unknown, e.g. CPython)
collect()            run the garbage collector (no-op where meaningless)
watchdog(timeout_ms) -> object with feed(); once made it cannot be stopped,
                     so the app makes it only in its healthy main loop
reset()              restart the terminal; on the device it does not return,
                     the simulated board raises boards.Reset for its host

display              .width, .height (320, 240)
                     .show(canvas)  push a firmware.ui.canvas.Canvas: its
                                 1-bit MONO_HLSB buffer with the colour pair
                                 and regions; the board converts it strip by
                                 strip (ui/panel.py), so no full-colour frame
                                 is ever held in RAM
                     .backlight(percent)
buttons              .count  (5: buttons 0..4 from left to right)
                     .take_edges() -> list of (button, pressed, ms): raw
                                 edges since the last call, oldest first,
                                 bounce included; the app debounces
link                 byte stream to the hub (UART); never blocks:
                     .read() -> bytes (b"" when nothing arrived)
                     .write(data) queues bytes for the line
                     .baud  line speed, bit/s (8N1): the link's retransmission
                            timeout is computed from it (protocol rto_for)
printer              ESC/POS printer: .write(data), .state() -> one of
                     protocol.catalogue.PRINTER_STATES ("none" if absent)

mqtt                 None for a terminal on a serial line; (hall, broker host,
                     port, broker user or None, broker password) for one that
                     reaches the hub over Wi-Fi and MQTT (the user defaults to
                     the device id)

Boards may add what only they have (Wi-Fi on the reference board); the app
checks with getattr before using such an extra.
"""


class Reset(Exception):
    """Raised by a simulated board's reset(): the host restarts the firmware."""
