"""Is the terminal still there? The same rule on serial and on MQTT.

A pty or a USB adapter stays open whatever the terminal behind it does, and
an MQTT client's stack can answer pings while its application hangs; so
the transport's view cannot say a terminal is alive. The terminal's own
packets can: it sends `hb` every period (the hall's cfg `tmo.hb`, else
protocol.catalogue.HB_PERIOD_S, 30 s).

- Silence. A terminal in a session that sent nothing authenticated for
  SILENT_PERIODS periods (two heartbeats missed and half a period of slack)
  is taken offline: the registry, `pingjia terminals` and the API say so,
  its window's invitations are answered 202 with the warning, the log says
  "offline: no heartbeat for N s" at WARNING with device and window, and
  its last problem is `no_heartbeat`. Checked every second, so it is
  offline within three periods of its last packet. Its session is kept:
  the next packet it sends in it brings it back online (INFO) and delivers
  what waited for it; if it rebooted meanwhile, its hello does the same.
- Unanswered challenge. A hello whose `chal` gets no `auth` within
  HANDSHAKE_WAIT_S (the firmware waits as long, then says hello again)
  is the mark of a wrong key: the terminal cannot verify the hub's proof,
  so it drops the chal without a word. It is noted as `auth_failed` after
  that one attempt.
"""

from hub.services import config
from protocol.catalogue import HB_PERIOD_S

SILENT_PERIODS = 2.5
HANDSHAKE_WAIT_S = 5.0
PERIOD_REFRESH_S = 10.0     # how often the period is read again from the configuration


class Liveness:
    def __init__(self, ingest):
        self._ingest = ingest
        self._period = HB_PERIOD_S
        self._read_at = None

    def period_s(self, now):
        """The heartbeat period terminals are configured with, in seconds."""
        if self._read_at is None or now - self._read_at >= PERIOD_REFRESH_S:
            self._read_at = now
            cfg = self._ingest.read(config.current)
            hb = (cfg.get("timeouts") or {}).get("hb")
            self._period = hb if isinstance(hb, (int, float)) and hb > 0 else HB_PERIOD_S
        return self._period

    def sweep(self, now):
        """One round (the ingest's housekeeping, every second)."""
        ingest = self._ingest
        period = self.period_s(now)
        for conn in ingest.connections():
            heard = conn.heard_at
            if heard is not None and now - heard > SILENT_PERIODS * period:
                ingest.went_silent(conn, now - heard, period)
        for conn in ingest.challenges_older_than(now - HANDSHAKE_WAIT_S):
            conn.challenge_unanswered(HANDSHAKE_WAIT_S)
