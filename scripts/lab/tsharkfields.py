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

import mmap
import os
import struct
import subprocess
import tempfile

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
] + [a for p in range(443, 449) for a in ("-d", "tcp.port==%d,tls" % p)]


def _command(pcap, names, display_filter=None, prefs=(), extra=()):
    # -2: two passes, so that tcp.reassembled_in is known on every segment.
    cmd = [TSHARK, "-2", "-n", "-r", pcap, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    cmd += BASE_PREFS + list(prefs) + list(extra)
    if display_filter:
        cmd += ["-Y", display_filter]
    for n in names:
        cmd += ["-e", n]
    return cmd


def _rows(text, names):
    rows = []
    for line in text.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(names) - len(vals))
        rows.append(dict(zip(names, vals)))
    return rows


def fields(pcap, names, display_filter=None, prefs=(), extra=()):
    """Rows of tshark -T fields as dicts; multi-valued fields joined by ','."""
    return fields_parallel([(pcap, names, display_filter, prefs, extra)])[0]


def fields_parallel(jobs):
    """fields() for each (pcap, names, display_filter, prefs, extra) in JOBS,
    the tshark processes running side by side: one tshark uses one CPU, and
    the VM has two."""
    procs = []
    for pcap, names, flt, prefs, extra in jobs:
        cmd = _command(pcap, names, flt, prefs, extra)
        out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
        procs.append((cmd, names, out, err, subprocess.Popen(cmd, stdout=out, stderr=err, text=True)))
    results = []
    for cmd, names, out, err, p in procs:
        if p.wait() != 0:
            err.seek(0)
            raise RuntimeError("tshark failed: %s\n%s" % (" ".join(cmd), err.read()[-2000:]))
        out.seek(0)
        results.append(_rows(out.read(), names))
        out.close()
        err.close()
    return results


def frames_containing(pcap, text, names):
    """fields() of the frames that contain TEXT.  A frame's bytes lie whole
    in the capture file (dumpcap writes pcapng uncompressed), so when the
    file does not hold TEXT no frame does, and the tshark pass over every
    frame (a sixth of the regression's analysis) is skipped."""
    with open(pcap, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return []
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            if m.find(text.encode()) < 0:
                return []
    return fields(pcap, names, 'frame contains "%s"' % text)


def count(pcap, display_filter):
    """Number of frames matching a display filter."""
    return len(fields(pcap, ["frame.number"], display_filter))


def ints(value):
    return [int(v, 0) for v in value.split(",") if v != ""]


def flag(value):
    """A boolean field: tshark prints 1/0 or True/False."""
    return value not in ("", "0", "False")


# --- TLS classification of data-bearing segments ---------------------------
#
# A record is "clear" when tshark reads it without keys (ClientHello,
# ServerHello, the TLS 1.2 Certificate/KeyExchange messages, ChangeCipherSpec,
# an alert sent before encryption starts), "enc" when tshark reads it only
# with the run's key log (it decrypted the record and the AEAD tag
# authenticated it: Wireshark drops a record whose tag does not verify), and
# "other" when it cannot read it even then (wrong keys, a type it does not
# know, garbage).  So the same dissection runs twice, without and with keys,
# and a record's class is the difference.

SERVER_PORTS = [str(p) for p in range(443, 449)]  # the lab's servers (browser: 6 ports)

# Decrypted application data goes to the "data" dissector record by record,
# so that one data.len per decrypted record tells which records decrypted.
DECRYPT_PREFS = ["-o", "tls.desegment_ssl_application_data:FALSE"] + [
    a for p in range(443, 449) for a in ("-d", "tls.port==%d,data" % p)]
DECRYPT_EXTRA = ["--disable-heuristic", "http_tls"]

CLASS_FIELDS = ["frame.number", "tcp.stream", "tcp.srcport", "tcp.seq", "tcp.len",
                "tls.record.length", "tls.record.content_type", "tls.record.opaque_type",
                "tls.handshake.type", "data.len", "tcp.reassembled_in",
                "tls.alert_message.level"]


def readable_records(row):
    """(records ending in this frame, how many of them tshark could read)."""
    n = len(ints(row["tls.record.length"]))
    if not n:
        return 0, 0
    types = ints(row["tls.record.content_type"])
    if ints(row["tls.record.opaque_type"]):
        # TLS 1.3: a protected record shows its inner content type only
        # once decrypted; the records in clear show theirs anyway.
        return n, min(n, len(types))
    unread = 0
    for ctype, readable in ((23, len(ints(row["data.len"]))),
                            (22, len(ints(row["tls.handshake.type"]))),
                            (21, len(ints(row["tls.alert_message.level"])))):
        unread += max(0, types.count(ctype) - readable)
    unread += sum(1 for t in types if t not in (20, 21, 22, 23))
    return n, max(0, n - unread)


def record_classes(row_clear, row_keys):
    """The set of classes of the records that end in one frame, from the
    frame's dissection without keys and with keys ({} when none ends here)."""
    n, clear = readable_records(row_clear)
    _, readable = readable_records(row_keys) if row_keys else (n, clear)
    out = set()
    if clear:
        out.add("clear")
    if readable > clear:
        out.add("enc")
    if n > max(readable, clear):
        out.add("other")
    return out


def merge(classes):
    """One segment's class from the classes of the records it holds bytes of."""
    for c in ("other", "truncated", "clear"):
        if c in classes:
            return c
    return "enc"


def classify(rows_clear, rows_keys):
    """frame number -> 'enc' | 'clear' | 'other' | 'truncated' for every
    data-bearing frame.

    A frame carrying the end of a record is dissected there; the frames
    holding the record's earlier bytes point at it through
    tcp.reassembled_in.  A segment is 'enc' when every record its bytes
    belong to decrypted, 'clear' when some are clear and none unreadable,
    'other' otherwise (bytes in no record at all included).  A
    retransmission, which tshark does not dissect again, takes the class of
    the segment it repeats (same stream and sequence number).  The bytes
    after the last record tshark saw complete in a direction, in no record,
    are 'truncated': a record cut short when the connection ended (the
    browser workload resets connections mid-response), counted apart.
    """
    keyed = {int(r["frame.number"]): r for r in rows_keys}
    by_frame, own = {}, {}
    for r in rows_clear:
        if r["tcp.len"] in ("", "0"):
            continue
        fno = int(r["frame.number"])
        by_frame[fno] = r
        own[fno] = record_classes(r, keyed.get(fno))
    out = {}
    first_at = {}
    last_in_record = {}  # (stream, srcport) -> highest seq of a segment in a record
    for fno, r in by_frame.items():
        if own[fno] or ints(r["tcp.reassembled_in"]):
            k = (r["tcp.stream"], r["tcp.srcport"])
            last_in_record[k] = max(last_in_record.get(k, -1), int(r["tcp.seq"]))
    for fno, r in sorted(by_frame.items()):
        got = set(own[fno])
        for target in ints(r["tcp.reassembled_in"]):
            got |= own.get(target, set())
        key = (r["tcp.stream"], r["tcp.srcport"], r["tcp.seq"])
        if got:
            cls = merge(got)
        elif key in first_at:
            cls = first_at[key]
        elif key[:2] in last_in_record and int(r["tcp.seq"]) > last_in_record[key[:2]]:
            cls = "truncated"
        else:
            cls = "other"
        first_at.setdefault(key, cls)
        out[fno] = cls
    return out


def wrong_keylog(src, dst):
    """A key log with the right client randoms and random secrets: the
    negative control, under which nothing may decrypt."""
    with open(src) as f, open(dst, "w") as g:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                parts[2] = os.urandom(len(parts[2]) // 2).hex()
                g.write(" ".join(parts) + "\n")


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
