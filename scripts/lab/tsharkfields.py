# SPDX-License-Identifier: GPL-2.0
"""tshark as the lab's only packet dissector.

Everything the analysis knows about packets comes from `tshark -T fields`
(or its -z statistics); this module runs it and turns rows into dicts.  The
one thing built here is a synthetic capture of each MPTCP connection's
data-level byte stream (stitched from tshark's own DSN per segment), because
Wireshark does not reassemble TLS across subflows: tshark then dissects the
TLS records of that stream, and each original segment is classified by the
records its DSN range falls into.
"""

import os
import struct
import subprocess

TSHARK = os.environ.get("TSHARK", "tshark")

# Preferences for every pass: MPTCP analysis with a DSN on every segment,
# TLS on the lab's port.
BASE_PREFS = [
    "-o", "mptcp.analyze_mptcp:TRUE",
    "-o", "mptcp.analyze_mappings:TRUE",
    "-o", "mptcp.relative_sequence_numbers:TRUE",
    "-o", "tcp.relative_sequence_numbers:TRUE",
    # The capture is on the client: a segment lost downstream arrives after
    # its successors, and TLS records must still be reassembled.
    "-o", "tcp.reassemble_out_of_order:TRUE",
    "-d", "tcp.port==443,tls",
]


def fields(pcap, names, display_filter=None, prefs=(), extra=()):
    """Rows of tshark -T fields as dicts; multi-valued fields joined by ','."""
    # -2: two passes, so that tcp.reassembled_in is known on every segment.
    cmd = [TSHARK, "-2", "-n", "-r", pcap, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    cmd += BASE_PREFS + list(prefs) + list(extra)
    if display_filter:
        cmd += ["-Y", display_filter]
    for n in names:
        cmd += ["-e", n]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError("tshark failed: %s\n%s" % (" ".join(cmd), res.stderr[-2000:]))
    rows = []
    for line in res.stdout.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(names) - len(vals))
        rows.append(dict(zip(names, vals)))
    return rows


def count(pcap, display_filter):
    """Number of frames matching a display filter."""
    return len(fields(pcap, ["frame.number"], display_filter))


def ints(value):
    return [int(v, 0) for v in value.split(",") if v != ""]


def flag(value):
    """A boolean field: tshark prints 1/0 or True/False."""
    return value not in ("", "0", "False")


# --- TLS classification of data-bearing segments ---------------------------

# Handshake messages that travel in clear (TLS 1.2; ClientHello/ServerHello
# in 1.3).  A record with content type 22 whose handshake type tshark cannot
# parse is an encrypted handshake message (TLS 1.2 Finished).
PLAIN_HANDSHAKE = {0, 1, 2, 3, 4, 11, 12, 13, 14, 16}

CLASS_FIELDS = ["frame.number", "tcp.stream", "tcp.srcport", "tcp.seq", "tcp.len",
                "tls.record.content_type", "tls.record.opaque_type", "tls.handshake.type", "tcp.reassembled_in",
                "tls.alert_message.level"]


def record_class(row):
    """'enc', 'plain' or '' (no TLS record here) for one dissected frame."""
    # tshark names a TLS 1.3 record's outer type opaque_type.
    types = ints(row["tls.record.content_type"]) + ints(row.get("tls.record.opaque_type", ""))
    if not types:
        return ""
    hs = set(ints(row["tls.handshake.type"]))
    plain = 20 in types or bool(hs & PLAIN_HANDSHAKE)
    if 21 in types and row["tls.alert_message.level"]:
        plain = True  # an alert tshark could read was sent in clear
    return "plain" if plain else "enc"


def classify(rows):
    """frame number -> 'enc' | 'plain' | 'none' for every data-bearing frame.

    A frame carrying the end of a record is dissected there; the frames
    holding the record's earlier bytes point at it through
    tcp.reassembled_in.  A retransmission, which tshark does not dissect
    again, takes the class of the segment it repeats (same stream and
    sequence number).
    """
    by_frame = {}
    own = {}
    for r in rows:
        if r["tcp.len"] in ("", "0"):
            continue
        fno = int(r["frame.number"])
        by_frame[fno] = r
        own[fno] = record_class(r)
    out = {}
    first_at = {}
    for fno, r in sorted(by_frame.items()):
        cls = own[fno]
        reas = ints(r["tcp.reassembled_in"])
        for target in reas:
            tcls = own.get(target, "")
            if tcls:
                cls = "plain" if "plain" in (cls, tcls) else "enc"
        key = (r["tcp.stream"], r["tcp.srcport"], r["tcp.seq"])
        if not cls:
            cls = first_at.get(key, "none")
        first_at.setdefault(key, cls)
        out[fno] = cls
    return out


# --- MPTCP data-level streams ----------------------------------------------

def _pcap_header():
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)  # LINKTYPE_RAW


def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _packet(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return ip + tcp


def write_data_streams(segments, path):
    """Writes one synthetic TCP connection per MPTCP connection.

    segments: {conn: [(t, to_server, dsn, payload_bytes, frame)]}.  Each
    direction's bytes are laid out by DSN (first copy wins), one synthetic
    segment per original segment that brings new bytes, timed no earlier than
    the data before it (in-order delivery).  Returns {conn: (port, {to_server:
    [(dsn_lo, dsn_hi, synthetic_frame)]})} and the frame count.
    """
    cli, srv = bytes([10, 0, 1, 2]), bytes([10, 0, 0, 1])
    frames = []  # (t, order, packet, conn, to_server, lo, hi)
    layout = {}
    for n, (conn, segs) in enumerate(sorted(segments.items())):
        port = 20000 + n
        t0 = min(s[0] for s in segs)
        frames.append((t0 - 0.003, 0, _packet(cli, srv, port, 443, 0, 0, 0x02, b""), conn, None, 0, 0))
        frames.append((t0 - 0.002, 1, _packet(srv, cli, 443, port, 0, 1, 0x12, b""), conn, None, 0, 0))
        frames.append((t0 - 0.001, 2, _packet(cli, srv, port, 443, 1, 1, 0x10, b""), conn, None, 0, 0))
        spans = {True: [], False: []}
        for to_server in (True, False):
            mine = sorted((s for s in segs if s[1] == to_server), key=lambda s: (s[2], s[0]))
            if not mine:
                continue
            base = mine[0][2]
            covered = base
            last_t = 0.0
            for t, _, dsn, data, _frame in mine:
                end = dsn + len(data)
                if end <= covered:
                    continue
                new = data[covered - dsn:] if dsn < covered else data
                lo = max(dsn, covered)
                if lo > covered:
                    # A hole in the capture: leave it, tshark will see a gap.
                    pass
                last_t = max(last_t, t)
                rel = lo - base + 1
                if to_server:
                    pkt = _packet(cli, srv, port, 443, rel, 1, 0x18, new)
                else:
                    pkt = _packet(srv, cli, 443, port, rel, 1, 0x18, new)
                frames.append((last_t, 3, pkt, conn, to_server, lo, end))
                covered = end
        layout[conn] = (port, spans)
    frames.sort(key=lambda f: (f[0], f[1]))
    with open(path, "wb") as f:
        f.write(_pcap_header())
        for i, (t, _, pkt, conn, to_server, lo, hi) in enumerate(frames, 1):
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            if usec >= 1000000:
                sec, usec = sec + 1, usec - 1000000
            f.write(struct.pack("<IIII", sec, usec, len(pkt), len(pkt)) + pkt)
            if to_server is not None:
                layout[conn][1][to_server].append((lo, hi, i))
    return layout, len(frames)
