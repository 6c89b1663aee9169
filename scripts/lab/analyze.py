#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""scripts/lab/analyze.py OUT [--no-plots] [--no-pcaps]: the lab's analysis.

Reads what scripts/lab/experiment left in OUT (runs.tsv, the tool's JSON,
capture/lab.pcapng, key logs) and writes runs.csv/json, summary.csv/json,
checks.json, handover.json, plots/ and report.md.  Packets are dissected by
tshark only (see tsharkfields.py).  Prints the report's path and the
headline table last.
"""

import csv
import glob
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
}

FRAME_FIELDS = ["frame.number", "frame.time_epoch", "frame.interface_name", "frame.len",
                "ip.src", "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags.syn",
                "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "tcp.len", "tcp.seq",
                "tcp.ack", "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
                "tcp.analysis.spurious_retransmission", "tcp.options.mptcp.subtype",
                "mptcp.stream", "tcp.options.mptcp.rawdataseqno", "tcp.options.mptcp.subflowseqno",
                "mptcp.related_mapping", "tcp.options.mptcp.rawdataack", "tls.record.content_type",
                "tls.record.opaque_type", "tls.handshake.type", "tcp.reassembled_in", "tls.alert_message.level"]


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
    """One tshark pass over the whole lab capture, plus the MPTCP data-level
    classification and the keylog pass for HTTP timings."""

    def __init__(self, pcap, keylog, work):
        self.pcap = pcap
        self.rows = tf.fields(pcap, FRAME_FIELDS, "tcp")
        self.by_no = {int(r["frame.number"]): r for r in self.rows}
        self.cls = tf.classify(self.rows)
        self._mptcp_classes(work)
        self.http = self._http_times(keylog) if keylog else []

    def _mptcp_classes(self, work):
        """Re-classifies the data segments of MPTCP connections from the
        TLS records of their data-level stream."""
        # tshark's relative mptcp.dsn is wrong on joined subflows (4.0), so
        # each segment's DSN comes from the raw DSS mapping that covers it
        # (in the segment itself or in mptcp.related_mapping).
        mp = [r for r in self.rows if r["mptcp.stream"] and r["tcp.len"] not in ("", "0")]
        self.mptcp_conns = sorted({r["mptcp.stream"] for r in self.rows if r["mptcp.stream"]})
        if not mp:
            return
        payload = {int(r["frame.number"]): r["tcp.payload"] for r in tf.fields(
            self.pcap, ["frame.number", "tcp.payload"], "mptcp.stream && tcp.len > 0",
            extra=["--disable-protocol", "tls"])}
        segs = {}
        for r in mp:
            fno = int(r["frame.number"])
            m = r
            if not m["tcp.options.mptcp.rawdataseqno"]:
                rel = tf.ints(r["mptcp.related_mapping"])
                m = self.by_no.get(rel[0]) if rel else None
                if not m or not m["tcp.options.mptcp.rawdataseqno"]:
                    continue
            dsn = (int(m["tcp.options.mptcp.rawdataseqno"].split(",")[0]) + int(r["tcp.seq"]) -
                   int(m["tcp.options.mptcp.subflowseqno"].split(",")[0]))
            data = bytes.fromhex(payload.get(fno, "").replace(":", ""))
            if len(data) != int(r["tcp.len"]):
                continue
            to_server = r["tcp.dstport"] == "443"
            segs.setdefault(r["mptcp.stream"], []).append(
                (float(r["frame.time_epoch"]), to_server, dsn, data, fno))
        synth = os.path.join(work, "data-streams.pcap")
        layout, _ = tf.write_data_streams(segs, synth)
        srows = tf.fields(synth, tf.CLASS_FIELDS, "tcp")
        scls = tf.classify(srows)
        for conn, items in segs.items():
            spans = layout[conn][1]
            for t, to_server, dsn, data, fno in items:
                lo, hi = dsn, dsn + len(data)
                got = set()
                for slo, shi, sfno in spans[to_server]:
                    if shi > lo and slo < hi:
                        got.add(scls.get(sfno, "none"))
                if not got or "none" in got:
                    self.cls[fno] = "none"
                elif "plain" in got:
                    self.cls[fno] = "plain"
                else:
                    self.cls[fno] = "enc"
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


def streams_in(cap, t0, t1):
    """TCP streams whose first SYN falls in [t0, t1]."""
    first_syn = {}
    for r in cap.rows:
        if tf.flag(r["tcp.flags.syn"]) and not tf.flag(r["tcp.flags.ack"]):
            first_syn.setdefault(r["tcp.stream"], float(r["frame.time_epoch"]))
    return {s for s, t in first_syn.items() if t0 - 0.01 <= t <= t1}


def packet_metrics(cap, streams):
    """The paper's four ratios and the per-path counts for a set of streams."""
    rows = [r for r in cap.rows if r["tcp.stream"] in streams]
    m = {"pkts": len(rows)}
    data = [r for r in rows if r["tcp.len"] not in ("", "0")]
    m["data_pkts"] = len(data)
    cls = [cap.cls.get(int(r["frame.number"]), "none") for r in data]
    m["enc_pkts"] = cls.count("enc")
    m["plain_tls_pkts"] = cls.count("plain")
    m["non_tls_pkts"] = cls.count("none")
    m["retrans_pkts"] = sum(1 for r in rows if tf.flag(r["tcp.analysis.retransmission"]) or
                            tf.flag(r["tcp.analysis.fast_retransmission"]) or
                            tf.flag(r["tcp.analysis.spurious_retransmission"]))
    m["spurious_retrans_pkts"] = sum(1 for r in rows if tf.flag(r["tcp.analysis.spurious_retransmission"]))
    m["fin_pkts"] = sum(1 for r in rows if tf.flag(r["tcp.flags.fin"]))
    m["rst_pkts"] = sum(1 for r in rows if tf.flag(r["tcp.flags.reset"]))
    pay = sum(int(r["tcp.len"]) for r in data)
    tls_pay = sum(int(r["tcp.len"]) for r, c in zip(data, cls) if c != "none")
    m["payload_bytes"] = pay
    m["tls_payload_share"] = 100.0 * tls_pay / pay if pay else None
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
    # Post-handshake data segments outside TLS records (must be 0).
    m["post_hs_non_tls"] = m["non_tls_pkts"]
    syns = [r for r in rows if tf.flag(r["tcp.flags.syn"]) and not tf.flag(r["tcp.flags.ack"])]
    m["mp_capable_3g"] = any("0" in r["tcp.options.mptcp.subtype"].split(",") and
                             r["frame.interface_name"] == "3g" for r in syns)
    m["mp_join_wifi"] = any("1" in r["tcp.options.mptcp.subtype"].split(",") and
                            r["frame.interface_name"] == "wifi" for r in syns)
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
               "bytes_received": client.get("bytes_received")}
        if r["workload"] == "web" and client:
            row["page_ms"] = (client.get("handshake_ms") or 0) + (client.get("duration_ms") or 0)
            objs = [ht * 1000 for (t, ht) in cap.http if t0 <= t <= t1 + 0.5]
            row["objects_timed"] = len(objs)
            row["object_ms_mean"] = statistics.fmean(objs) if objs else None
            row["object_ms_max"] = max(objs) if objs else None
        row.update(m)
        results.append(row)
    return results


def summarise(results):
    """Per scenario x offload: mean and 95 % CI over repetitions.  The paper's
    ratios are computed over each repetition's whole traffic (web + bulk)."""
    keys = ["enc_ratio", "retrans_ratio", "fin_ratio", "rst_ratio", "enc_ratio_all_pkts",
            "tls_payload_share"]
    summary = []
    groups = {}
    for r in results:
        groups.setdefault((r["scenario"], r["offload"]), []).append(r)
    for (s, off), rows in sorted(groups.items()):
        entry = {"scenario": s, "title": SCENARIOS[s][3], "offload": off,
                 "reps": len({r["rep"] for r in rows}),
                 "tls_version": sorted({r["tls_version"] for r in rows if r["tls_version"]})}
        per_rep = {}
        for r in rows:
            agg = per_rep.setdefault(r["rep"], {})
            for k in ("pkts", "data_pkts", "enc_pkts", "retrans_pkts", "spurious_retrans_pkts",
                      "fin_pkts", "rst_pkts",
                      "payload_bytes", "non_tls_pkts", "payload_3g", "payload_wifi"):
                agg[k] = agg.get(k, 0) + r[k]
            agg["tls_pay"] = agg.get("tls_pay", 0) + (r["tls_payload_share"] or 0) * r["payload_bytes"] / 100
        reps = list(per_rep.values())
        ratio = {
            "enc_ratio": [100 * a["enc_pkts"] / a["data_pkts"] for a in reps if a["data_pkts"]],
            "retrans_ratio": [100 * a["retrans_pkts"] / a["data_pkts"] for a in reps if a["data_pkts"]],
            "fin_ratio": [100 * a["fin_pkts"] / a["pkts"] for a in reps if a["pkts"]],
            "spurious_retrans_ratio": [100 * a["spurious_retrans_pkts"] / a["data_pkts"]
                                       for a in reps if a["data_pkts"]],
            "rst_ratio": [100 * a["rst_pkts"] / a["pkts"] for a in reps if a["pkts"]],
            "enc_ratio_all_pkts": [100 * a["enc_pkts"] / a["pkts"] for a in reps if a["pkts"]],
            "tls_payload_share": [100 * a["tls_pay"] / a["payload_bytes"] for a in reps if a["payload_bytes"]],
            "wifi_payload_share": [100 * a["payload_wifi"] / (a["payload_3g"] + a["payload_wifi"])
                                   for a in reps if a["payload_3g"] + a["payload_wifi"]],
        }
        for k in keys + ["wifi_payload_share", "spurious_retrans_ratio"]:
            entry[k], entry[k + "_ci"], _ = mean_ci(ratio[k])
        bulk = [r for r in rows if r["workload"] == "bulk"]
        web = [r for r in rows if r["workload"] == "web"]
        for k, src, field in (("goodput_mbps", bulk, "goodput_mbps"),
                              ("bulk_handshake_ms", bulk, "handshake_ms"),
                              ("handshake_ms", web, "handshake_ms"),
                              ("page_ms", web, "page_ms"),
                              ("object_ms_mean", web, "object_ms_mean"),
                              ("object_ms_max", web, "object_ms_max")):
            entry[k], entry[k + "_ci"], _ = mean_ci([r.get(field) for r in src])
        entry["failed_runs"] = sum(1 for r in rows if r["rc"] != 0)
        entry["non_tls_data_pkts"] = sum(a["non_tls_pkts"] for a in reps)
        entry["verify_ok"] = all(r["verify"] == "ok" for r in bulk)
        entry["mp_capable_3g"] = all(r["mp_capable_3g"] for r in rows) if SCENARIOS[s][0] == "mptcp" else None
        entry["mp_join_wifi"] = all(r["mp_join_wifi"] for r in rows) if SCENARIOS[s][0] == "mptcp" else None
        entry["both_subflows_tls"] = (all(r["enc_pkts_3g"] > 0 and r["enc_pkts_wifi"] > 0 for r in rows)
                                      if SCENARIOS[s][0] == "mptcp" else None)
        summary.append(entry)
    return summary


def analyse_handover(out, cap):
    """Stall time: the longest time the client's cumulative acknowledgement
    (the MPTCP DATA_ACK over any subflow, or the TCP ACK) did not move,
    from its last advance before the cut to the end of the run."""
    res = []
    for hj in sorted(glob.glob(os.path.join(out, "handover", "*", "handover.json"))):
        h = json.load(open(hj))
        d = os.path.dirname(hj)
        client = (load_json_lines(os.path.join(d, "client.json")) or [{}])[0]
        err = open(os.path.join(d, "client.err")).read().strip() if os.path.exists(
            os.path.join(d, "client.err")) else ""
        streams = streams_in(cap, h["t_start"], h["t_end"])
        rows = [r for r in cap.rows if r["tcp.stream"] in streams]
        acks = []
        for r in rows:
            if r["tcp.dstport"] != "443":
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
            if float(r["frame.time_epoch"]) > h["t_cut"] and r["tcp.srcport"] == "443":
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
        windows["handover-%s-%s" % (h["transport"], h["offload"])] = (h["t_start"], h["t_end"])
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
        cap = Capture(pcap, keylog, work)
        results = analyse_runs(out, cap, env)
        summary = summarise(results)
        handover = analyse_handover(out, cap)
        checks = rep.checks(out, cap, env, results, summary, handover)
    if "--no-pcaps" not in sys.argv:
        split_captures(out, results, handover)
    rep.write_tables(out, results, summary, handover, checks)
    if plots:
        import plots as pl
        pl.all_plots(out, cap, results, summary, handover)
    rep.write_report(out, env, results, summary, handover, checks, plots)
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
