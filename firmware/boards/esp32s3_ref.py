"""The reference terminal: ESP32-S3 (8 MB flash, no PSRAM needed), 320x240
ILI9341/ST7789-class SPI panel, five buttons, hub link on UART1, 58 mm ESC/POS
printer on UART2, Wi-Fi for MQTT.

This is the only file that imports `machine` and `network`
drivers; it cannot run on CPython, but it must compile with mpy-cross.

RAM strategy (no PSRAM): the application draws into one 1-bit canvas
(320*240/8 = 9,600 bytes, firmware/ui/canvas.py). show() has
firmware/ui/panel.py expand it to RGB565 one strip of STRIP_ROWS rows at a
time (framebuf.blit with a two-colour palette: native code, no Python loop
per pixel) and sends each strip over SPI, so the only colour buffer is
320*8*2 = 5,120 bytes, allocated once.

Blocking: panel reset waits 150 ms once, at boot, before the event loop
starts. A full frame is 30 SPI writes of 5 KB (about 1 ms each at 40 MHz);
nothing else here waits.
"""

import os
import time

import machine
import network

from firmware.boards.parts import EscPosPrinter, PortBoard, Ticks, mqtt_settings, read_json
from firmware.ui import panel

# -- pin map (GPIO numbers) ---------------------------------------------------
LCD_SPI_ID = 2
LCD_SCK = 12
LCD_MOSI = 11
LCD_MISO = 13
LCD_CS = 10
LCD_DC = 9
LCD_RST = 14
LCD_BL = 21
LCD_BAUD = 40000000
# Five buttons, left to right, to GND with internal pull-ups (pressed = 0).
BUTTON_PINS = (4, 5, 6, 7, 15)
HUB_UART = 1
HUB_TX = 17
HUB_RX = 18
HUB_BAUD = 115200
PRN_UART = 2
PRN_TX = 43
PRN_RX = 44
PRN_BAUD = 9600

WIDTH = 320
HEIGHT = 240
STRIP_ROWS = 8
FS_ROOT = "/data"
IDENTITY_FILE = "/identity.json"   # {"dev": "...", "key": "64 hex digits"}, written at provisioning
# optional: {"ssid", "pw", "hall", "broker", "port", "mqtt_pw"[, "mqtt_user"]}: link over
# MQTT, logging in to the broker as the device id (or mqtt_user) with mqtt_pw
WIFI_FILE = "/wifi.json"

# ILI9341 commands
_SWRESET = 0x01
_SLPOUT = 0x11
_COLMOD = 0x3A
_MADCTL = 0x36
_DISPON = 0x29
_CASET = 0x2A
_PASET = 0x2B
_RAMWR = 0x2C


class Display:
    def __init__(self):
        self.width = WIDTH
        self.height = HEIGHT
        self._spi = machine.SPI(LCD_SPI_ID, baudrate=LCD_BAUD, sck=machine.Pin(LCD_SCK),
                                mosi=machine.Pin(LCD_MOSI), miso=machine.Pin(LCD_MISO))
        self._cs = machine.Pin(LCD_CS, machine.Pin.OUT, value=1)
        self._dc = machine.Pin(LCD_DC, machine.Pin.OUT, value=0)
        self._rst = machine.Pin(LCD_RST, machine.Pin.OUT, value=1)
        self._bl = machine.PWM(machine.Pin(LCD_BL), freq=1000, duty_u16=65535)
        self._strip = panel.strip_buffer(WIDTH, STRIP_ROWS)
        self._win = bytearray(4)
        self._init_panel()

    def _cmd(self, c, data=None):
        self._cs(0)
        self._dc(0)
        self._spi.write(bytes((c,)))
        if data:
            self._dc(1)
            self._spi.write(data)
        self._cs(1)

    def _init_panel(self):
        self._rst(0)
        time.sleep_ms(10)
        self._rst(1)
        time.sleep_ms(20)
        self._cmd(_SWRESET)
        time.sleep_ms(120)
        self._cmd(_SLPOUT)
        self._cmd(_COLMOD, b"\x55")        # 16 bits per pixel
        self._cmd(_MADCTL, b"\x28")        # landscape, BGR
        self._cmd(_DISPON)

    def _write_strip(self, y, n, data):
        self._window(y, y + n - 1)
        self._cmd(_RAMWR, data)

    def _window(self, y0, y1):
        w = self._win
        w[0], w[1], w[2], w[3] = 0, 0, (WIDTH - 1) >> 8, (WIDTH - 1) & 0xFF
        self._cmd(_CASET, w)
        w[0], w[1], w[2], w[3] = y0 >> 8, y0 & 0xFF, y1 >> 8, y1 & 0xFF
        self._cmd(_PASET, w)

    def show(self, canvas):
        panel.push(canvas, self._write_strip, self._strip)

    def backlight(self, percent):
        self._bl.duty_u16(max(0, min(100, percent)) * 65535 // 100)


class Buttons:
    """Polled GPIO: take_edges() samples the pins (the app polls every ~20 ms,
    well inside a human press of 50+ ms) and reports level changes."""

    def __init__(self, clock):
        self._clock = clock     # the board's never-wrapping ticks: the app compares edge times with it
        self.count = len(BUTTON_PINS)
        self._pins = [machine.Pin(p, machine.Pin.IN, machine.Pin.PULL_UP) for p in BUTTON_PINS]
        self._down = [False] * self.count

    def take_edges(self):
        out = []
        now = None
        for i in range(self.count):
            d = self._pins[i].value() == 0
            if d != self._down[i]:
                self._down[i] = d
                if now is None:
                    now = self._clock()
                out.append((i, d, now))
        return out


class UartStream:
    def __init__(self, uart_id, tx, rx, baud):
        self._u = machine.UART(uart_id, baudrate=baud, tx=tx, rx=rx, rxbuf=4096, txbuf=4096)
        self.baud = baud

    def read(self):
        n = self._u.any()
        if not n:
            return b""
        return self._u.read(n) or b""

    def write(self, data):
        self._u.write(data)


class Board(PortBoard):
    name = "esp32s3_ref"
    caps = ("uart", "mqtt", "printer")

    def __init__(self):
        self.fs_root = FS_ROOT
        try:
            os.mkdir(FS_ROOT)
        except OSError:
            pass
        self.ticks_ms = Ticks()
        self.display = Display()
        self.buttons = Buttons(self.ticks_ms)
        self.link = UartStream(HUB_UART, HUB_TX, HUB_RX, HUB_BAUD)
        # ESC/POS on UART2; its paper sensor answers DLE EOT 4
        self.printer = EscPosPrinter(UartStream(PRN_UART, PRN_TX, PRN_RX, PRN_BAUD))
        self._wlan = None
        self.mqtt = mqtt_settings(read_json(WIFI_FILE))
        if self.mqtt:
            self.wifi_connect()     # returns at once; the MQTT client retries until it is up

    def identity(self):
        d = read_json(IDENTITY_FILE)
        if not d:
            raise OSError("no %s: provision the terminal ({\"dev\", \"key\"})" % IDENTITY_FILE)
        return d["dev"], bytes.fromhex(d["key"])

    def watchdog(self, timeout_ms):
        return machine.WDT(timeout=timeout_ms)

    def reset(self):
        machine.reset()

    # -- extras of this board --
    def wifi_connect(self):
        """Start joining the Wi-Fi named in /wifi.json; -> False if none configured.
        Returns at once; wifi_connected() says when it is up."""
        w = read_json(WIFI_FILE)
        if w is None:
            return False
        self._wlan = network.WLAN(network.STA_IF)
        self._wlan.active(True)
        self._wlan.connect(w["ssid"], w["pw"])
        return True

    def wifi_connected(self):
        return self._wlan is not None and self._wlan.isconnected()

    def rssi(self):
        return self._wlan.status("rssi") if self.wifi_connected() else None


def make():
    return Board()
