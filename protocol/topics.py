"""MQTT topic layout, QoS and availability (PROTOCOL.md §7).

  pingjia/<hall>/dev/<device>/up      terminal -> hub, every uplink packet
  pingjia/<hall>/dev/<device>/down    hub -> terminal, every downlink packet
  pingjia/<hall>/dev/<device>/state   "online" / "offline", never retained;
                                      the terminal's last will sets "offline"
  pingjia/<hall>/hub/state            retained, the hub's own availability

Plain MQTT 3.1.1 (what umqtt.simple and every broker speak): request and
response are correlated in the payload (`mid` / `re`), not by MQTT 5
properties. A broker's PUBACK only means the broker has the packet; a rating
is done only when the hub's own `ack` (sent after its durable commit) comes
back on the down topic.
"""

ROOT = "pingjia"
ONLINE = b"online"
OFFLINE = b"offline"

from protocol.fields import NAME_CHARS

_SAFE = set(NAME_CHARS)

# QoS per message type. Heartbeats are superseded by the next one, so losing
# one costs nothing; everything else must arrive.
QOS_DEFAULT = 1
QOS = {"hb": 0}


def qos_for(mtype):
    return QOS.get(mtype, QOS_DEFAULT)


_TYPE_PREFIX = b'{"t":"'


def message_type(packet):
    """The `t` of a packet (sealed or plain) without decoding it: the codec
    always writes `t` first. None if the packet does not start that way.
    Both ends use it to pick a packet's QoS."""
    if not packet.startswith(_TYPE_PREFIX):
        return None
    n = len(_TYPE_PREFIX)
    end = packet.find(b'"', n, n + 17)
    if end < 0:
        return None
    try:
        return bytes(packet[n:end]).decode()
    except UnicodeError:
        return None


def check_segment(name, what):
    """Hall and device ids become topic levels: no / + # or spaces."""
    if type(name) is not str or not 1 <= len(name) <= 32:
        raise ValueError("%s must be 1 to 32 characters, got %r" % (what, name))
    for ch in name:
        if ch not in _SAFE:
            raise ValueError("%s %r may contain only letters, digits, _ - and ." % (what, name))
    return name


def device_topic(hall, device, kind):
    check_segment(hall, "hall id")
    check_segment(device, "device id")
    if kind not in ("up", "down", "state"):
        raise ValueError("topic kind must be up, down or state, got %r" % (kind,))
    return "%s/%s/dev/%s/%s" % (ROOT, hall, device, kind)


def up(hall, device):
    return device_topic(hall, device, "up")


def down(hall, device):
    return device_topic(hall, device, "down")


def state(hall, device):
    return device_topic(hall, device, "state")


def hub_state(hall):
    return "%s/%s/hub/state" % (ROOT, check_segment(hall, "hall id"))


def hub_subscriptions(hall):
    """What a hub subscribes to: every terminal's uplink and availability."""
    check_segment(hall, "hall id")
    return ("%s/%s/dev/+/up" % (ROOT, hall), "%s/%s/dev/+/state" % (ROOT, hall))


def parse(topic):
    """Topic -> (hall, device, kind); device is None for the hub's state.

    Raises ValueError naming what is wrong, for topics outside the layout.
    """
    parts = topic.split("/")
    if len(parts) == 5 and parts[0] == ROOT and parts[2] == "dev" and parts[4] in ("up", "down", "state"):
        return check_segment(parts[1], "hall id"), check_segment(parts[3], "device id"), parts[4]
    if len(parts) == 4 and parts[0] == ROOT and parts[2] == "hub" and parts[3] == "state":
        return check_segment(parts[1], "hall id"), None, "hub_state"
    raise ValueError("topic %r is not in the pingjia layout" % (topic,))
