"""Free loopback ports for the simulator's parts, the tests and the benches.

The hub never needs one: it listens where its configuration says.
"""

import socket

HOST = "127.0.0.1"


def free_port(host=HOST):
    """A TCP port nothing listens on at HOST right now (the OS picks it; the
    caller binds it soon, before another process can)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
