"""The Go-Back-N link moving data, frame by frame: in-order delivery,
the window, cumulative acks, retransmission after the timeout, duplicate and
gap handling, and the bounds that hold when a side is not drained."""

from protocol.framing import DATA, ACK, build_frame, max_wire_len

from tests.support.arq import A, B, frames_of, exchange, connected_pair


# -- data, acks, retransmission ----------------------------------------------

def test_in_order_delivery_and_sequence_wraparound():
    a, b = connected_pair(window=127, max_queue=200)
    sent, got = [], []
    seqs = set()
    for i in range(1000):
        m = (b"%d" % i) * (i % 7)
        sent.append(m)
        assert a.send(m)
        if i % 150 == 149:
            out = a.outgoing()
            seqs.update(f.seq for f in frames_of(out) if f.ftype == DATA)
            b.receive(out, i)
            exchange(a, b, i)
            got += b.take_delivered()
    exchange(a, b, 2000)
    got += b.take_delivered()
    assert got == sent[:len(got)] and len(got) == 1000
    assert seqs == set(range(256))
    assert a.stats["retransmits"] == 0 and b.stats["duplicates"] == 0


def test_window_limits_frames_in_flight_and_acks_open_it():
    a, b = connected_pair(window=3)
    for i in range(7):
        a.send(b"%d" % i)
    out = a.outgoing()
    assert [f.seq for f in frames_of(out)] == [0, 1, 2]
    b.receive(out, 1)
    (ack,) = frames_of(b.outgoing())            # one ACK for the three frames
    assert (ack.ftype, ack.ack, ack.src, ack.dst) == (ACK, 3, B, A)
    a.receive(ack.wire(), 2)
    assert [f.seq for f in frames_of(a.outgoing())] == [3, 4, 5]


def test_go_back_n_resends_everything_unacked_after_rto():
    a, b = connected_pair(rto_ms=100)
    for i in range(5):
        a.send(b"m%d" % i)
    lost = a.outgoing()                         # the line eats it
    assert a.next_timeout(50) == 100            # the timer starts at the first clock
    a.poll(149)
    assert a.outgoing() == b""
    a.poll(150)
    again = a.outgoing()
    assert [(f.seq, f.payload) for f in frames_of(again)] == \
        [(f.seq, f.payload) for f in frames_of(lost)] == [(i, b"m%d" % i) for i in range(5)]
    assert a.stats["retransmits"] == 5 and a.stats["sent"] == 5
    b.receive(again, 160)
    a.receive(b.outgoing(), 170)
    assert a.pending == 0 and a.next_timeout(170) is None
    # A partial ack restarts the timer for the rest.
    for i in range(3):
        a.send(b"n%d" % i)
    a.poll(200)
    frames = frames_of(a.outgoing())
    a.receive(build_frame(ACK, B, A, 0, frames[0].seq + 1), 280)
    assert a.pending == 2 and a.next_timeout(280) == 100
    a.poll(380)
    assert [f.payload for f in frames_of(a.outgoing())] == [b"n1", b"n2"]


def test_receiver_drops_duplicates_and_gaps_and_acks_each_time():
    a, b = connected_pair()
    d = lambda seq, p: build_frame(DATA, A, B, seq, 0, p)
    b.receive(d(0, b"x"), 1)
    assert [(f.ftype, f.ack) for f in frames_of(b.outgoing())] == [(ACK, 1)]
    b.receive(d(0, b"x"), 2)
    assert [(f.ftype, f.ack) for f in frames_of(b.outgoing())] == [(ACK, 1)]
    b.receive(d(2, b"z"), 3)
    assert [(f.ftype, f.ack) for f in frames_of(b.outgoing())] == [(ACK, 1)]
    b.receive(d(255, b"old"), 4)
    assert [(f.ftype, f.ack) for f in frames_of(b.outgoing())] == [(ACK, 1)]
    b.receive(d(1, b"y") + d(2, b"z"), 5)
    assert [(f.ftype, f.ack) for f in frames_of(b.outgoing())] == [(ACK, 3)]
    assert b.take_delivered() == [b"x", b"y", b"z"]
    s = b.stats
    assert (s["delivered"], s["duplicates"], s["out_of_order"]) == (3, 2, 1)


def test_data_piggybacks_the_ack():
    a, b = connected_pair(window=1)
    b.send(b"p0")
    b.send(b"p1")                               # waits: window 1
    a.receive(b.outgoing(), 1)
    assert [(f.ftype, f.ack) for f in frames_of(a.outgoing())] == [(ACK, 1)]   # lost
    assert a.take_delivered() == [b"p0"]
    a.send(b"ping")
    (ping,) = frames_of(a.outgoing())
    assert (ping.ftype, ping.seq, ping.ack) == (DATA, 0, 1)
    # ping acks p0, so p1 goes out in this call and carries the ack for ping:
    # no separate ACK frame.
    b.receive(ping.wire(), 2)
    assert [(f.ftype, f.seq, f.ack, f.payload) for f in frames_of(b.outgoing())] == \
        [(DATA, 1, 1, b"p1")]
    assert b.take_delivered() == [b"ping"]


def test_acks_outside_the_window_are_ignored():
    a, b = connected_pair()
    for i in range(3):
        a.send(b"%d" % i)
    a.outgoing()
    for bad in (4, 200, 255):
        a.receive(build_frame(ACK, B, A, 0, bad), 1)
        assert a.pending == 3
    a.receive(build_frame(ACK, B, A, 0, 2), 1)
    assert a.pending == 1


def test_receiver_that_is_not_drained_stops_taking_data():
    a, b = connected_pair(max_queue=4)
    for i in range(4):
        a.send(b"%d" % i)
    exchange(a, b)
    for i in range(4, 8):
        a.send(b"%d" % i)
    exchange(a, b)
    assert b.stats["rx_full"] >= 1 and a.pending == 4
    assert b.take_delivered() == [b"0", b"1", b"2", b"3"]
    a.poll(1000)
    exchange(a, b, 1000)
    assert b.take_delivered() == [b"4", b"5", b"6", b"7"] and a.pending == 0


def test_outgoing_bytes_stay_bounded_when_never_drained():
    a, b = connected_pair(window=4, rto_ms=10)
    for i in range(4):
        a.send(b"\x01" * 2048)
    for t in range(0, 2000, 10):
        a.poll(t)
    assert len(a._out) <= 4 * max_wire_len() + 256
    assert a.stats["tx_overflow"] > 0
    exchange(a, b, 3000)
    a.poll(4000)
    exchange(a, b, 4000)
    assert len(b.take_delivered()) == 4
