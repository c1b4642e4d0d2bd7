"""SM2 benchmark: encryptions and decryptions per second, native vs pure Python.

    .venv/bin/python bench/sm2_bench.py [--seconds 2]

`openssl` is the hub's implementation (Tongsuo through tongsuopy, native
code); `gmssl` is the pure-Python package the simulated platform decrypts
with (and the hub's fallback). Payloads: the Shandong sign (time + appMark
+ appWord, ~40 bytes), a window rating record (~300 bytes of JSON) and a
service record (~1000 bytes). Figures, not a test; results go in
docs/PERFORMANCE.md.
"""

import argparse
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from hub.upstream import gm  # noqa: E402

# The GB/T 32918.4 example key pair (a test key).
SK = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
PK = ("09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
      "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13")
PAYLOADS = (("sign 40 B", 40), ("rating 300 B", 300), ("service 1000 B", 1000))


def rate(fn, seconds):
    n, end = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0, help="per figure")
    args = ap.parse_args()
    impls = [gm.OpenSSL(), gm.GmSSL()]
    print("SM2 (C1C3C2), %s %s, %s" % (platform.python_implementation(), platform.python_version(),
                                        platform.machine()))
    print("%-16s %-8s %12s %12s" % ("payload", "impl", "encrypt/s", "decrypt/s"))
    for label, size in PAYLOADS:
        data = os.urandom(size)
        for impl in impls:
            raw = impl.sm2_encrypt(PK, data)
            e = rate(lambda: impl.sm2_encrypt(PK, data), args.seconds)
            d = rate(lambda: impl.sm2_decrypt(SK, raw), args.seconds)
            print("%-16s %-8s %12.0f %12.0f" % (label, impl.name, e, d))


if __name__ == "__main__":
    main()
