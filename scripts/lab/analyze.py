#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""scripts/lab/analyze.py OUT [--no-plots] [--no-pcaps] [--fast]: the lab's analysis.

Reads what scripts/lab/experiment left in OUT (runs.tsv, the tool's JSON,
capture/lab.pcapng, key logs) and writes runs.csv/json, summary.csv/json,
checks.json, handover.json, plots/ and report.md.  Packets are dissected by
tshark only (see tsharkfields.py).  Prints the report's path and the
headline table last.
"""

import csv
import glob
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tsharkfields as tf  # noqa: E402
import report as rep  # noqa: E402

SCENARIOS = {
    1: ("mptcp", "default", "3G+WiFi", "MPTCP + TLS default (3G+WiFi)"),
    2: ("mptcp", "1.2", "3G+WiFi", "MPTCP + TLSv1.2 (3G+WiFi)"),
    3: ("tcp", "default", "WiFi", "TCP + TLS default (WiFi)"),
    4: ("tcp", "1.2", "WiFi", "TCP + TLSv1.2 (WiFi)"),
    5: ("tcp", "default", "3G", "TCP + TLS default (3G)"),
    6: ("tcp", "1.2", "3G", "TCP + TLSv1.2 (3G)"),
    7: ("mptcp", "default", "WiFi+3G backup", "MPTCP + TLS default (WiFi, 3G backup)"),
    8: ("mptcp", "none", "3G+WiFi", "MPTCP, no TLS (3G+WiFi)"),
    9: ("mptcp", "default", "WiFi+3G", "MPTCP + TLS default (WiFi first, 3G joins)"),
}
# Scenarios whose connection opens on 3G and WiFi joins (MP_CAPABLE on 3G).
MPTCP_3G_FIRST = (1, 2, 8)

FRAME_FIELDS = ["frame.number", "frame.time_epoch", "frame.interface_name", "frame.len",
                "ip.src", "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags.syn",
                "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "tcp.len", "tcp.seq",
                "tcp.ack", "tcp.seq_raw", "ip.dst", "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
                "tcp.analysis.spurious_retransmission", "tcp.options.mptcp.subtype",
                "mptcp.stream", "tcp.options.mptcp.rawdataseqno", "tcp.options.mptcp.subflowseqno",
                "mptcp.related_mapping", "tcp.options.mptcp.rawdataack", "tcp.options.mptcp.backup.flag",
                "tcp.options.mptcp.sendkey",
                "tls.record.length", "tls.record.content_type", "tls.record.opaque_type",
                "tls.handshake.type", "data.len", "tcp.reassembled_in", "tls.alert_message.level"]
SERVER_FIELDS = ["ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.len",
                 "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
                 "tcp.analysis.spurious_retransmission"]


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = v.strip("'").replace("\\", "")
    return env


def load_json_lines(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    out.append(json.loads(line))
    return out


def mean_ci(values):
    """Mean and half-width of the 95 % confidence interval (Student t)."""
    vals = [v for v in values if v is not None and not math.isnan(v)]
    if not vals:
        return None, None, 0
    m = statistics.fmean(vals)
    if len(vals) < 2:
        return m, None, len(vals)
    t95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
           9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}
    df = len(vals) - 1
    t = t95.get(df) or t95[max(k for k in t95 if k <= df)]
    return m, t * statistics.stdev(vals) / math.sqrt(len(vals)), len(vals)


class Capture:
    """The lab capture dissected by tshark: one pass without keys and one
    with the key log, the MPTCP data-level streams stitched and dissected
    the same two ways, the HTTP timings, and the server-side capture's
    downlink segments (http=False: no HTTP timings)."""

    def __init__(self, pcap, keylog, work, server_pcap=None, http=True):
        self.pcap = pcap
        self.work = work
        # The three passes over the whole capture side by side: the MPTCP
        # segments' payloads are independent of the other two (which took
        # about as long again when it ran after them).
        self.rows, keyed, payload = tf.fields_parallel([
            (pcap, FRAME_FIELDS, "tcp", tf.DECRYPT_PREFS, tf.DECRYPT_EXTRA),
            (pcap, tf.CLASS_FIELDS, "tcp.len > 0",
             tf.DECRYPT_PREFS + ["-o", "tls.keylog_file:" + keylog], tf.DECRYPT_EXTRA),
            (pcap, ["frame.number", "tcp.payload"], "mptcp.stream && tcp.len > 0", (),
             ["--disable-protocol", "tls"])])
        self.by_no = {int(r["frame.number"]): r for r in self.rows}
        self.cls = tf.classify(self.rows, keyed)
        self.unmapped = set()
        self.segs = {}
        self._mptcp_classes(work, keylog, {int(r["frame.number"]): r["tcp.payload"] for r in payload})
        self.http = self._http_times(keylog) if http else []
        self.server = (tf.fields(server_pcap, SERVER_FIELDS, "tcp.len > 0",
                                 extra=["--disable-protocol", "tls"])
                       if server_pcap and os.path.exists(server_pcap) else None)

    def _mptcp_classes(self, work, keylog, payload):
        """Re-classifies the data segments of MPTCP connections (PAYLOAD:
        {frame: hex}) from the TLS records of their data-level stream; a
        segment whose DSN mapping is not in the capture is 'unmapped', a
        class of its own."""
        # tshark's relative mptcp.dsn is wrong on joined subflows (4.0), so
        # each segment's DSN comes from the raw DSS mapping that covers it
        # (in the segment itself or in mptcp.related_mapping).
        mp = [r for r in self.rows if r["mptcp.stream"] and r["tcp.len"] not in ("", "0")]
        self.mptcp_conns = sorted({r["mptcp.stream"] for r in self.rows if r["mptcp.stream"]})
        if not mp:
            return
        segs = {}
        for r in mp:
            fno = int(r["frame.number"])
            m = r
            if r["tcp.options.mptcp.sendkey"] and not r["tcp.options.mptcp.rawdataseqno"]:
                # MPTCP v1 sends the first data with MP_CAPABLE and no DSS:
                # its mapping is implicit, from the sender's initial DSN.
                dsn = idsn(r["tcp.options.mptcp.sendkey"]) + int(r["tcp.seq"])
            else:
                if not m["tcp.options.mptcp.rawdataseqno"]:
                    rel = tf.ints(r["mptcp.related_mapping"])
                    m = self.by_no.get(rel[0]) if rel else None
                    if not m or not m["tcp.options.mptcp.rawdataseqno"]:
                        self.unmapped.add(fno)
                        continue
                dsn = (int(m["tcp.options.mptcp.rawdataseqno"].split(",")[0]) + int(r["tcp.seq"]) -
                       int(m["tcp.options.mptcp.subflowseqno"].split(",")[0]))
            data = bytes.fromhex(payload.get(fno, "").replace(":", ""))
            if len(data) != int(r["tcp.len"]):
                self.unmapped.add(fno)
                continue
            to_server = r["tcp.dstport"] in tf.SERVER_PORTS
            segs.setdefault(r["mptcp.stream"], []).append(
                (float(r["frame.time_epoch"]), to_server, dsn, data, fno))
        self.segs = segs
        synth = os.path.join(work, "data-streams.pcap")
        self.cls.update(stitched_classes(segs, synth, keylog))
        for fno in self.unmapped:
            self.cls[fno] = "unmapped"
        self.synth_pcap = synth

    def _http_times(self, keylog):
        prefs = ["-o", "tls.keylog_file:" + keylog]
        rows = tf.fields(self.pcap, ["frame.time_epoch", "tcp.stream", "http.response_for.uri",
                                     "http.time"], "http.time", prefs=prefs)
        synth = getattr(self, "synth_pcap", None)
        if synth:
            rows += tf.fields(synth, ["frame.time_epoch", "tcp.stream", "http.response_for.uri",
                                      "http.time"], "http.time", prefs=prefs)
        return [(float(r["frame.time_epoch"]), float(r["http.time"].split(",")[0]))
                for r in rows if r["http.time"]]


def stitched_classes(segs, synth, keylog):
    """Writes the data-level streams of SEGS ({conn: [(t, to_server, dsn,
    payload, frame)]}) to SYNTH, has tshark dissect them without and with
    KEYLOG, and returns {frame: class} for the original segments."""
    layout, _ = tf.write_data_streams(segs, synth)
    srows, keyed = tf.fields_parallel([
        (synth, tf.CLASS_FIELDS, "tcp", tf.DECRYPT_PREFS, tf.DECRYPT_EXTRA),
        (synth, tf.CLASS_FIELDS, "tcp.len > 0",
         tf.DECRYPT_PREFS + ["-o", "tls.keylog_file:" + keylog], tf.DECRYPT_EXTRA)])
    scls = tf.classify(srows, keyed)
    out = {}
    for conn, items in segs.items():
        spans = layout[conn][1]
        for t, to_server, dsn, data, fno in items:
            lo, hi = dsn, dsn + len(data)
            got = {scls.get(sfno, "other") for slo, shi, sfno in spans[to_server]
                   if shi > lo and slo < hi}
            out[fno] = tf.merge(got) if got else "other"
    return out


def idsn(key):
    """RFC 8684 3.1: the initial data sequence number is the least
    significant 64 bits of the SHA-256 of the sender's key; the first data
    byte is IDSN + 1, at relative subflow sequence number 1."""
    k = int(key.split(",")[0], 0).to_bytes(8, "big")
    return int.from_bytes(hashlib.sha256(k).digest()[-8:], "big")


def streams_in(cap, t0, t1):
    """TCP streams whose first SYN falls in [t0, t1]."""
    first_syn = {}
    for r in cap.rows:
        if tf.flag(r["tcp.flags.syn"]) and not tf.flag(r["tcp.flags.ack"]):
            first_syn.setdefault(r["tcp.stream"], float(r["frame.time_epoch"]))
    return {s for s, t in first_syn.items() if t0 - 0.01 <= t <= t1}


def retransmitted(r):
    return (tf.flag(r["tcp.analysis.retransmission"]) or
            tf.flag(r["tcp.analysis.fast_retransmission"]) or
            tf.flag(r["tcp.analysis.spurious_retransmission"]))


def downlink(cap, rows):
    """What the server sent on these connections, from the server-side
    capture: data segments, those it sent again, and those that never
    reached the client's capture (lost on the way down), per path."""
    if cap.server is None:
        return {}
    conns = {(r["ip.dst"], r["tcp.dstport"], r["tcp.srcport"]) for r in rows
             if r["tcp.srcport"] in tf.SERVER_PORTS}
    seen = {}
    for r in rows:
        if r["tcp.srcport"] in tf.SERVER_PORTS and r["tcp.len"] not in ("", "0"):
            k = (r["ip.dst"], r["tcp.dstport"], r["tcp.srcport"], r["tcp.seq_raw"], r["tcp.len"])
            seen[k] = seen.get(k, 0) + 1
    sent = {}
    for r in cap.server:
        if (r["ip.dst"], r["tcp.dstport"], r["tcp.srcport"]) in conns:
            k = (r["ip.dst"], r["tcp.dstport"], r["tcp.srcport"], r["tcp.seq_raw"], r["tcp.len"])
            sent.setdefault(k, []).append(r)
    m = {"down_sent_pkts": 0, "down_server_retrans_pkts": 0, "down_lost_pkts": 0}
    for path, addr in (("3g", "10.0.1.2"), ("wifi", "10.0.2.2")):
        m["down_sent_pkts_" + path] = m["down_lost_pkts_" + path] = 0
    for k, copies in sent.items():
        lost = max(0, len(copies) - seen.get(k, 0))
        path = "3g" if k[0] == "10.0.1.2" else "wifi"
        m["down_sent_pkts"] += len(copies)
        m["down_sent_pkts_" + path] += len(copies)
        m["down_server_retrans_pkts"] += sum(1 for r in copies if retransmitted(r))
        m["down_lost_pkts"] += lost
        m["down_lost_pkts_" + path] += lost
    return m


def packet_metrics(cap, streams):
    """The paper's four ratios and the per-path counts for a set of streams."""
    rows = [r for r in cap.rows if r["tcp.stream"] in streams]
    m = {"pkts": len(rows)}
    data = [r for r in rows if r["tcp.len"] not in ("", "0")]
    m["data_pkts"] = len(data)
    cls = [cap.cls.get(int(r["frame.number"]), "other") for r in data]
    for c in ("enc", "clear", "other", "truncated", "unmapped"):
        m[c + "_pkts"] = cls.count(c)
    m["retrans_pkts"] = sum(1 for r in data if retransmitted(r))
    m["ctrl_retrans_pkts"] = sum(1 for r in rows if r["tcp.len"] in ("", "0") and retransmitted(r))
    m["spurious_retrans_pkts"] = sum(1 for r in data if tf.flag(r["tcp.analysis.spurious_retransmission"]))
    m["fin_pkts"] = sum(1 for r in rows if tf.flag(r["tcp.flags.fin"]))
    m["rst_pkts"] = sum(1 for r in rows if tf.flag(r["tcp.flags.reset"]))
    pay = sum(int(r["tcp.len"]) for r in data)
    enc_pay = sum(int(r["tcp.len"]) for r, c in zip(data, cls) if c == "enc")
    m["payload_bytes"] = pay
    m["enc_payload_share"] = 100.0 * enc_pay / pay if pay else None
    m["enc_ratio"] = 100.0 * m["enc_pkts"] / len(data) if data else None
    m["enc_ratio_all_pkts"] = 100.0 * m["enc_pkts"] / len(rows) if rows else None
    m["retrans_ratio"] = 100.0 * m["retrans_pkts"] / len(data) if data else None
    m["fin_ratio"] = 100.0 * m["fin_pkts"] / len(rows) if rows else None
    m["rst_ratio"] = 100.0 * m["rst_pkts"] / len(rows) if rows else None
    for path, ifname in (("3g", "3g"), ("wifi", "wifi")):
        mine = [r for r in rows if r["frame.interface_name"] == ifname]
        m["pkts_" + path] = len(mine)
        m["bytes_" + path] = sum(int(r["frame.len"]) for r in mine)
        m["payload_" + path] = sum(int(r["tcp.len"] or 0) for r in mine)
        m["enc_pkts_" + path] = sum(1 for r in mine if r["tcp.len"] not in ("", "0")
                                    and cap.cls.get(int(r["frame.number"])) == "enc")
    m.update(downlink(cap, rows))
    syns = [r for r in rows if tf.flag(r["tcp.flags.syn"]) and not tf.flag(r["tcp.flags.ack"])]
    subtypes = lambda r: r["tcp.options.mptcp.subtype"].split(",")  # noqa: E731
    m["mp_capable_3g"] = any("0" in subtypes(r) and r["frame.interface_name"] == "3g" for r in syns)
    m["mp_join_wifi"] = any("1" in subtypes(r) and r["frame.interface_name"] == "wifi" for r in syns)
    m["mp_capable_wifi"] = any("0" in subtypes(r) and r["frame.interface_name"] == "wifi" for r in syns)
    m["mp_join_3g_backup"] = any("1" in subtypes(r) and r["frame.interface_name"] == "3g" and
                                 tf.flag(r["tcp.options.mptcp.backup.flag"]) for r in syns)
    m["mp_join_3g_plain"] = any("1" in subtypes(r) and r["frame.interface_name"] == "3g" and
                                not tf.flag(r["tcp.options.mptcp.backup.flag"]) for r in syns)
    m["frames"] = "%s-%s" % (min((int(r["frame.number"]) for r in rows), default=0),
                             max((int(r["frame.number"]) for r in rows), default=0))
    return m


def analyse_runs(out, cap, env):
    runs = []
    with open(os.path.join(out, "runs.tsv")) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            runs.append(r)
    results = []
    for r in runs:
        s = int(r["scenario"])
        t0, t1 = float(r["t_start"]), float(r["t_end"])
        rdir = os.path.join(out, "runs", "s%d" % s, r["offload"], "r" + r["rep"])
        client = (load_json_lines(os.path.join(rdir, r["workload"] + ".json")) or [{}])[0]
        streams = streams_in(cap, t0, t1)
        m = packet_metrics(cap, streams)
        row = {"run": r["run"], "scenario": s, "title": SCENARIOS[s][3], "offload": r["offload"],
               "rep": int(r["rep"]), "workload": r["workload"], "rc": int(r["rc"]),
               "t_start": t0, "t_end": t1, "tcp_streams": len(streams),
               "tls_version": client.get("tls_version"), "cipher": client.get("cipher"),
               "offload_tx": (client.get("offload") or {}).get("tx"),
               "mptcp_fell_back": client.get("fell_back_to_tcp"),
               "subflows_used": client.get("subflows_used"),
               "handshake_ms": client.get("handshake_ms"),
               "duration_ms": client.get("duration_ms"),
               "goodput_mbps": client.get("goodput_mbps"),
               "verify": client.get("verify"),
               "bytes_received": client.get("bytes_received"),
               "group": "browser" if r["workload"] == "browser" else "transfers",
               "streams": sorted(streams, key=int),
               "client_error": (client.get("error") or {}).get("message")}
        if r["workload"] == "browser":
            row.update({k: client.get(k) for k in ("connections_opened", "connections_reset",
                                                   "objects", "objects_abandoned")})
            row["tls_version"] = client.get("tls_version")
            row["handshake_ms"] = statistics.fmean(client["handshake_ms"]) \
                if client.get("handshake_ms") else None
            row["view_ms"] = (client.get("view_ms") or [None])[0]
        if r["workload"] == "web" and client.get("duration_ms") is not None:
            row["page_ms"] = (client.get("handshake_ms") or 0) + (client.get("duration_ms") or 0)
            objs = [ht * 1000 for (t, ht) in cap.http if t0 <= t <= t1 + 0.5]
            row["objects_timed"] = len(objs)
            row["object_ms_mean"] = statistics.fmean(objs) if objs else None
            row["object_ms_max"] = max(objs) if objs else None
        row.update(m)
        results.append(row)
    return results


RATIOS = ("enc_ratio", "retrans_ratio", "fin_ratio", "rst_ratio")
COUNTS = ("pkts", "data_pkts", "enc_pkts", "clear_pkts", "other_pkts", "truncated_pkts",
          "unmapped_pkts",
          "retrans_pkts", "ctrl_retrans_pkts",
          "spurious_retrans_pkts", "fin_pkts", "rst_pkts", "payload_bytes", "payload_3g",
          "payload_wifi", "down_sent_pkts", "down_server_retrans_pkts", "down_lost_pkts",
          "down_sent_pkts_3g", "down_lost_pkts_3g", "down_sent_pkts_wifi", "down_lost_pkts_wifi")


def pct(a, b):
    return 100.0 * a / b if b else None


def summarise(results):
    """Per scenario x offload x workload group ("transfers": the page on one
    connection and the bulk download; "browser"): mean and 95 % CI over
    repetitions.  The paper's ratios are computed over each repetition's
    whole traffic of the group, then averaged."""
    summary = []
    groups = {}
    for r in results:
        groups.setdefault((r["scenario"], r["offload"], r["group"]), []).append(r)
    for (s, off, grp), rows in sorted(groups.items()):
        entry = {"scenario": s, "title": SCENARIOS[s][3], "offload": off, "workload": grp,
                 "reps": len({r["rep"] for r in rows}),
                 "tls_version": sorted({r["tls_version"] for r in rows if r["tls_version"]})}
        per_rep = {}
        for r in rows:
            agg = per_rep.setdefault(r["rep"], {})
            for k in COUNTS:
                agg[k] = agg.get(k, 0) + (r.get(k) or 0)
        reps = list(per_rep.values())
        ratio = {
            "enc_ratio": [pct(a["enc_pkts"], a["data_pkts"]) for a in reps],
            "clear_ratio": [pct(a["clear_pkts"], a["data_pkts"]) for a in reps],
            "other_ratio": [pct(a["other_pkts"], a["data_pkts"]) for a in reps],
            "retrans_ratio": [pct(a["retrans_pkts"], a["data_pkts"]) for a in reps],
            "ctrl_retrans_ratio": [pct(a["ctrl_retrans_pkts"], a["pkts"]) for a in reps],
            "spurious_retrans_ratio": [pct(a["spurious_retrans_pkts"], a["data_pkts"]) for a in reps],
            "fin_ratio": [pct(a["fin_pkts"], a["pkts"]) for a in reps],
            "rst_ratio": [pct(a["rst_pkts"], a["pkts"]) for a in reps],
            "enc_ratio_all_pkts": [pct(a["enc_pkts"], a["pkts"]) for a in reps],
            "wifi_payload_share": [pct(a["payload_wifi"], a["payload_3g"] + a["payload_wifi"])
                                   for a in reps],
            "down_server_retrans_ratio": [pct(a["down_server_retrans_pkts"], a["down_sent_pkts"])
                                          for a in reps],
            "down_loss_ratio": [pct(a["down_lost_pkts"], a["down_sent_pkts"]) for a in reps],
            "down_loss_ratio_3g": [pct(a["down_lost_pkts_3g"], a["down_sent_pkts_3g"]) for a in reps],
            "down_loss_ratio_wifi": [pct(a["down_lost_pkts_wifi"], a["down_sent_pkts_wifi"])
                                     for a in reps],
        }
        for k, vals in ratio.items():
            entry[k], entry[k + "_ci"], _ = mean_ci(vals)
        for k in COUNTS:
            entry["total_" + k] = sum(a[k] for a in reps)
        bulk = [r for r in rows if r["workload"] == "bulk"]
        web = [r for r in rows if r["workload"] == "web"]
        brw = [r for r in rows if r["workload"] == "browser"]
        for k, src, field in (("goodput_mbps", bulk, "goodput_mbps"),
                              ("bulk_handshake_ms", bulk, "handshake_ms"),
                              ("handshake_ms", web + brw, "handshake_ms"),
                              ("page_ms", web, "page_ms"),
                              ("view_ms", brw, "view_ms"),
                              ("connections_opened", brw, "connections_opened"),
                              ("connections_reset", brw, "connections_reset"),
                              ("object_ms_mean", web, "object_ms_mean"),
                              ("object_ms_max", web, "object_ms_max")):
            entry[k], entry[k + "_ci"], _ = mean_ci([r.get(field) for r in src])
        entry["failed_runs"] = sum(1 for r in rows if r["rc"] != 0)
        entry["verify_ok"] = all(r["verify"] == "ok" for r in bulk if SCENARIOS[s][1] != "none")
        summary.append(entry)
    return summary


def analyse_handover(out, cap):
    """Stall time: the longest time the client's cumulative acknowledgement
    (the MPTCP DATA_ACK over any subflow, or the TCP ACK) did not move,
    from its last advance before the cut to the end of the run."""
    res = []
    for hj in sorted(glob.glob(os.path.join(out, "handover", "*", "handover.json"))):
        h = json.load(open(hj))
        h.setdefault("mode", h["transport"])
        d = os.path.dirname(hj)
        client = (load_json_lines(os.path.join(d, "client.json")) or [{}])[0]
        err = open(os.path.join(d, "client.err")).read().strip() if os.path.exists(
            os.path.join(d, "client.err")) else ""
        streams = streams_in(cap, h["t_start"], h["t_end"])
        rows = [r for r in cap.rows if r["tcp.stream"] in streams]
        acks = []
        for r in rows:
            if r["tcp.dstport"] not in tf.SERVER_PORTS:
                continue
            v = r["tcp.options.mptcp.rawdataack"] if h["transport"] == "mptcp" else r["tcp.ack"]
            if v:
                acks.append((float(r["frame.time_epoch"]), int(v.split(",")[0])))
        acks.sort()
        progress = []
        hi = -1
        for t, a in acks:
            if a > hi:
                progress.append(t)
                hi = a
        # From the last progress before the cut to the end of the run: the
        # longest gap between advances; a client that never completed adds
        # the gap from its last advance to the end.
        before = [t for t in progress if t <= h["t_cut"]]
        points = [before[-1] if before else h["t_cut"]] + [t for t in progress if t > h["t_cut"]]
        recovered = h["client_rc"] == 0
        if not recovered:
            points.append(h["t_end"])
        gaps = [(b2 - a2, a2) for a2, b2 in zip(points, points[1:])] or [(0.0, h["t_cut"])]
        stall, stall_from = max(gaps)
        down_after = {}
        for r in rows:
            if float(r["frame.time_epoch"]) > h["t_cut"] and r["tcp.srcport"] in tf.SERVER_PORTS:
                down_after[r["frame.interface_name"]] = down_after.get(
                    r["frame.interface_name"], 0) + int(r["tcp.len"] or 0)
        res.append({**h, "stall_s": stall, "stall_start_after_cut_s": stall_from - h["t_cut"],
                    "recovered": recovered,
                    "client_verify": client.get("verify"),
                    "client_bytes_received": client.get("bytes_received"),
                    "client_error": err.splitlines()[-1] if err else "",
                    "mptcp_connections": len({r["mptcp.stream"] for r in rows if r["mptcp.stream"]}),
                    "payload_after_cut": down_after,
                    "streams": sorted(streams, key=int)})
    return res


def cut_run(out, r, d):
    """The frames of run R (its `frames` range) as DIR/run.pcapng: a small
    capture for the passes that need only one run."""
    cut = os.path.join(d, "run.pcapng")
    subprocess.run(["editcap", "-r", os.path.join(out, "capture", "lab.pcapng"), cut,
                    r["frames"]], check=True, stdout=subprocess.DEVNULL)
    return cut


def negative_control(out, cap, results, keylog, work):
    """The first TLS run of each transport classified again with a key log of
    the right client randoms and random secrets: tshark must decrypt
    nothing.  TCP: the keyed pass on a cut of the run (editcap keeps the
    order, so frame N of the cut is frame first + N - 1), against the main
    pass without keys; MPTCP: the run's stitched connections alone.
    Returns one dict per run."""
    bad = os.path.join(work, "wrong-keylog")
    tf.wrong_keylog(keylog, bad)
    res = []
    for transport in ("mptcp", "tcp"):
        # MPTCP: a connection that stayed MPTCP (the stitched path), not one
        # that fell back to TCP.
        runs = [r for r in results if SCENARIOS[r["scenario"]][0] == transport and
                SCENARIOS[r["scenario"]][1] != "none" and r["enc_pkts"] > 0 and
                (transport == "tcp" or r.get("mptcp_fell_back") is False)]
        if not runs:
            continue
        r = runs[0]
        d = os.path.join(work, "negative-" + transport)
        os.makedirs(d)
        streams = set(r["streams"])
        rows = [x for x in cap.rows if x["tcp.stream"] in streams]
        data = [int(x["frame.number"]) for x in rows if x["tcp.len"] not in ("", "0")]
        if transport == "tcp":
            first = int(r["frames"].split("-")[0])
            keyed = tf.fields(cut_run(out, r, d), tf.CLASS_FIELDS, "tcp.len > 0",
                              prefs=tf.DECRYPT_PREFS + ["-o", "tls.keylog_file:" + bad],
                              extra=tf.DECRYPT_EXTRA)
            for k in keyed:
                k["frame.number"] = str(int(k["frame.number"]) + first - 1)
            cls = tf.classify(rows, keyed)
        else:
            conns = {x["mptcp.stream"] for x in rows if x["mptcp.stream"]}
            cls = stitched_classes({c: cap.segs[c] for c in conns if c in cap.segs},
                                   os.path.join(d, "data-streams.pcap"), bad)
        got = [cls.get(f, "other") for f in data]
        res.append({"run": r["run"], "workload": r["workload"], "transport": transport,
                    "data_pkts": len(data), "enc_pkts_right_keys": r["enc_pkts"],
                    "enc_pkts_wrong_keys": got.count("enc"), "clear_pkts_wrong_keys": got.count("clear"),
                    "other_pkts_wrong_keys": len(got) - got.count("enc") - got.count("clear")})
    return res


def split_captures(out, results, handover):
    """pcaps/s<N>-<offload>.pcapng and pcaps/handover-<transport>-<offload>.pcapng,
    cut from the whole capture by editcap on the runs' time windows."""
    pcap = os.path.join(out, "capture", "lab.pcapng")
    d = os.path.join(out, "pcaps")
    os.makedirs(d, exist_ok=True)
    windows = {}
    for r in results:
        name = "s%d-%s" % (r["scenario"], r["offload"])
        lo, hi = windows.get(name, (r["t_start"], r["t_end"]))
        windows[name] = (min(lo, r["t_start"]), max(hi, r["t_end"]))
        r["pcap"] = "pcaps/%s.pcapng" % name
    for h in handover:
        windows["handover-%s-%s" % (h["mode"], h["offload"])] = (h["t_start"], h["t_end"])
    for name, (lo, hi) in windows.items():
        subprocess.run(["editcap", "-A", "%.6f" % (lo - 0.05), "-B", "%.6f" % (hi + 1.0), pcap,
                        os.path.join(d, name + ".pcapng")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    out = os.path.abspath(sys.argv[1])
    plots = "--no-plots" not in sys.argv
    env = read_env(os.path.join(out, "config.env"))
    pcap = os.path.join(out, "capture", "lab.pcapng")
    with tempfile.TemporaryDirectory() as work:
        keylog = os.path.join(work, "keylog")
        with open(keylog, "w") as kf:
            for k in glob.glob(os.path.join(out, "runs", "*", "*", "*", "keylog")) + \
                    glob.glob(os.path.join(out, "handover", "*", "keylog")):
                kf.write(open(k).read())
        # --fast (the regression): no per-object HTTP timings and no downlink
        # loss, which only the report's tables use; tshark passes are slow
        # under emulation.
        fast = "--fast" in sys.argv
        cap = Capture(pcap, keylog, work,
                      None if fast else os.path.join(out, "capture", "server.pcapng"), http=not fast)
        results = analyse_runs(out, cap, env)
        summary = summarise(results)
        handover = analyse_handover(out, cap)
        negative = negative_control(out, cap, results, keylog, work)
        checks = rep.checks(out, cap, env, results, summary, handover, negative, work)
    if "--no-pcaps" not in sys.argv:
        split_captures(out, results, handover)
    rep.write_tables(out, results, summary, handover, checks, negative)
    if plots:
        import plots as pl
        pl.all_plots(out, cap, results, summary, handover)
    rep.write_report(out, env, results, summary, handover, checks, plots, negative)
    # Findings (outcomes that depend on the profiles) are reported, never
    # fatal; a failed check fails the run.  The headline table comes last.
    for c in checks:
        if not c["ok"]:
            print("lab: %s: %s (%s)" % ("finding" if c.get("finding") else "CHECK FAILED",
                                        c["name"], c["detail"]))
    print("lab: report: %s" % os.path.join(out, "report.md"))
    print(rep.headline(summary))
    sys.exit(1 if any(not c["ok"] and not c.get("finding") for c in checks) else 0)


if __name__ == "__main__":
    main()
