"""The terminal application: board-independent, MicroPython-compatible."""
