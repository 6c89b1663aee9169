# SPDX-License-Identifier: GPL-2.0
"""The lab's tables, protocol checks and report.md."""

import csv
import json
import os

import tsharkfields as tf

# The paper's Figs 10-13, as its text states them (section IV.B, percent).
# Fig. 10 gives no number for scenario 1 ("the maximum number of packets are
# encrypted"); the conclusion's "96%-100%" bounds it.
PAPER = {
    "enc_ratio": {1: None, 2: 97, 3: 93, 4: 92, 5: 88, 6: 87},
    "retrans_ratio": {1: 6, 2: 5, 3: 0, 4: 0, 5: 7, 6: 6},
    "fin_ratio": {1: 7, 2: 8, 3: 7, 4: 7, 5: 8, 6: 9},
    "rst_ratio": {1: 4, 2: 3, 3: 4, 4: 3, 5: 4, 6: 5},
}
METRIC_NAMES = {
    "enc_ratio": ("Encrypted packets ratio", "Fig. 10"),
    "retrans_ratio": ("TCP retransmission ratio", "Fig. 11"),
    "fin_ratio": ("Connection termination (FIN) ratio", "Fig. 12"),
    "rst_ratio": ("Connection reset (RST) ratio", "Fig. 13"),
}


def fmt(v, ci=None, digits=1):
    if v is None:
        return "n/a"
    s = "%.*f" % (digits, v)
    if ci is not None:
        s += " ± %.*f" % (digits, ci)
    return s


def paper_fmt(metric, s):
    v = PAPER[metric][s]
    return "max (96–100)" if v is None else "%d" % v


def entry(summary, s, off):
    for e in summary:
        if e["scenario"] == s and e["offload"] == off:
            return e
    return None


def offloads(summary):
    return [o for o in ("kernel", "user") if any(e["offload"] == o for e in summary)]


def scenarios(summary):
    return sorted({e["scenario"] for e in summary})


def headline(summary):
    """Paper vs measured (kernel offload, or the first offload run)."""
    off = offloads(summary)[0] if summary else "kernel"
    lines = ["Headline (%s offload; %% of packets, mean ± 95%% CI; paper in brackets):" % off,
             "%-32s %16s %16s %16s %16s %12s" % ("scenario", "encrypted", "retransmitted",
                                                  "FIN", "RST", "bulk Mbit/s")]
    for s in scenarios(summary):
        e = entry(summary, s, off)
        if not e:
            continue
        cells = []
        for m in ("enc_ratio", "retrans_ratio", "fin_ratio", "rst_ratio"):
            p = PAPER[m][s]
            cells.append("%s [%s]" % (fmt(e[m], e[m + "_ci"]), "max" if p is None else p))
        lines.append("%-32s %16s %16s %16s %16s %12s" % (
            "%d %s" % (s, e["title"]), *cells, fmt(e["goodput_mbps"], e["goodput_mbps_ci"], 2)))
    return "\n".join(lines)


def checks(out, cap, env, results, summary, handover):
    """The protocol checks of the capture; each {name, ok, detail, finding}.

    A finding is an outcome that depends on the link profiles (MPTCP beating
    the best single path does not hold on the paper's lossy 3G): it is
    reported, and the regression asserts it on its own profiles, but it does
    not fail a lab run."""
    res = []

    def add(name, ok, detail="", finding=False):
        res.append({"name": name, "ok": bool(ok), "detail": detail, "finding": finding})

    failed = [r["run"] + "/" + r["workload"] for r in results if r["rc"] != 0]
    add("every transfer exited 0", not failed, ", ".join(failed))
    bad_verify = [r["run"] for r in results if r["workload"] == "bulk" and r["verify"] != "ok"]
    add("bulk downloads verified byte for byte (SHA-256 on both ends)", not bad_verify,
        ", ".join(bad_verify))
    non_tls = [(r["run"] + "/" + r["workload"], r["non_tls_pkts"]) for r in results if r["non_tls_pkts"]]
    add("every data-bearing segment belongs to a TLS record", not non_tls,
        "; ".join("%s: %d segments" % x for x in non_tls))
    mp = [r for r in results if r["scenario"] in (1, 2)]
    if mp:
        add("MP_CAPABLE SYN on the 3G interface in every MPTCP run",
            all(r["mp_capable_3g"] for r in mp),
            ", ".join(r["run"] for r in mp if not r["mp_capable_3g"]))
        add("MP_JOIN SYN on the WiFi interface in every MPTCP run",
            all(r["mp_join_wifi"] for r in mp),
            ", ".join(r["run"] for r in mp if not r["mp_join_wifi"]))
        # A page of a few small objects may legitimately stay on the first
        # subflow; the bulk download must use both.
        mpb = [r for r in mp if r["workload"] == "bulk"]
        add("both subflows carry TLS records in every MPTCP bulk download",
            all(r["enc_pkts_3g"] > 0 and r["enc_pkts_wifi"] > 0 for r in mpb),
            "; ".join("%s/%s 3g=%d wifi=%d encrypted segments" % (
                r["run"], r["workload"], r["enc_pkts_3g"], r["enc_pkts_wifi"]) for r in mp
                if not (r["enc_pkts_3g"] > 0 and r["enc_pkts_wifi"] > 0)))
        no_fallback = [r["run"] for r in mp if r["mptcp_fell_back"] is not False]
        add("no MPTCP run fell back to TCP", not no_fallback, ", ".join(no_fallback))
    for off in offloads(summary):
        mpg = [e["goodput_mbps"] for e in summary if e["offload"] == off and e["scenario"] in (1, 2)
               and e["goodput_mbps"] is not None]
        spg = [e["goodput_mbps"] for e in summary if e["offload"] == off and e["scenario"] in (3, 4, 5, 6)
               and e["goodput_mbps"] is not None]
        if mpg and spg:
            add("MPTCP bulk goodput exceeds the best single path (offload=%s)" % off,
                min(mpg) > max(spg), "MPTCP %s vs best single path %.2f Mbit/s" % (
                    "/".join("%.2f" % g for g in mpg), max(spg)), finding=True)
    marker = env.get("marker", "")
    if marker:
        n = tf.count(cap.pcap, 'frame contains "%s"' % marker)
        add("the plaintext marker appears in no captured frame", n == 0,
            "%d frames contain %s" % (n, marker))
    # Decryption with the key log on a single-subflow TCP scenario.
    tcp_web = [r for r in results if r["scenario"] in (3, 4, 5, 6) and r["workload"] == "web"]
    if tcp_web and marker:
        r = tcp_web[0]
        kl = os.path.join(out, "runs", "s%d" % r["scenario"], r["offload"], "r%d" % r["rep"], "keylog")
        flt = ("frame.number >= %s && frame.number <= %s && http.response" %
               tuple(r["frames"].split("-")))
        dec = tf.fields(cap.pcap, ["frame.number", "http.response.line"], flt,
                        prefs=["-o", "tls.keylog_file:" + kl])
        with_marker = [d for d in dec if marker in d["http.response.line"]]
        add("with --keylog, tshark decrypts the HTTP responses of %s (scenario %d)" % (
            r["run"], r["scenario"]), len(with_marker) > 0,
            "%d decrypted responses, %d show the marker header" % (len(dec), len(with_marker)))
    for h in handover:
        if h["transport"] == "mptcp":
            add("handover (offload=%s): MPTCP download finishes over 3G, byte-exact, one connection"
                % h["offload"], h["client_rc"] == 0 and h["client_verify"] == "ok" and
                h["mptcp_connections"] == 1,
                "exit %d, verify %s, stall %.2f s" % (h["client_rc"], h["client_verify"], h["stall_s"]))
        else:
            add("handover (offload=%s): TCP over WiFi does not survive the cut" % h["offload"],
                h["client_rc"] != 0 and not h["recovered"],
                "exit %d, watchdog %s" % (h["client_rc"], h["killed_by_watchdog"]))
    with open(os.path.join(out, "checks.json"), "w") as f:
        json.dump(res, f, indent=1)
    return res


def write_tables(out, results, summary, handover, checks):
    def dump_csv(path, rows):
        keys = []
        for r in rows:
            for k in r:
                if k not in keys:
                    keys.append(k)
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys)
            w.writeheader()
            for r in rows:
                w.writerow({k: (json.dumps(v) if isinstance(v, (list, dict)) else v)
                            for k, v in r.items()})
    dump_csv(os.path.join(out, "runs.csv"), results)
    dump_csv(os.path.join(out, "summary.csv"), summary)
    with open(os.path.join(out, "runs.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump({"paper": PAPER, "summary": summary, "handover": handover}, f, indent=1)


def metric_table(summary, m):
    offs = offloads(summary)
    head = "| Scenario | Paper (%s) | " % METRIC_NAMES[m][1] + " | ".join(
        "measured, %s TLS" % o for o in offs) + " |"
    lines = [head, "|" + "---|" * (2 + len(offs))]
    for s in scenarios(summary):
        cells = []
        for o in offs:
            e = entry(summary, s, o)
            cells.append(fmt(e[m], e[m + "_ci"]) if e else "n/a")
        title = (entry(summary, s, offs[0]) or {}).get("title", str(s))
        lines.append("| %d. %s | %s | %s |" % (s, title, paper_fmt(m, s), " | ".join(cells)))
    return "\n".join(lines)


def extra_table(summary):
    lines = ["| Scenario | offload | TLS | handshake ms | page ms | object ms (mean) | "
             "bulk goodput Mbit/s | WiFi share of payload % | TLS share of payload % | "
             "encrypted / all packets % | spurious retransmissions % |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for e in summary:
        lines.append("| %d. %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            e["scenario"], e["title"], e["offload"], "/".join(e["tls_version"]),
            fmt(e["handshake_ms"], e["handshake_ms_ci"], 0), fmt(e["page_ms"], e["page_ms_ci"], 0),
            fmt(e["object_ms_mean"], e["object_ms_mean_ci"], 0),
            fmt(e["goodput_mbps"], e["goodput_mbps_ci"], 2),
            fmt(e["wifi_payload_share"], e["wifi_payload_share_ci"]),
            fmt(e["tls_payload_share"], e["tls_payload_share_ci"], 2),
            fmt(e["enc_ratio_all_pkts"], e["enc_ratio_all_pkts_ci"]),
            fmt(e["spurious_retrans_ratio"], e["spurious_retrans_ratio_ci"])))
    return "\n".join(lines)


def write_report(out, env, results, summary, handover, checks, plots):
    from commentary import commentary, definitions
    L = []
    L.append("# mptls lab: the paper's experiment, reproduced\n")
    L.append("Measured in the QEMU guest (TCG emulation, 2 vCPUs) on kernel `%s`, %s, "
             "with the test bed of `scripts/lab/lib.sh` (netns client/router/server, netem "
             "profiles `profile-3g.conf` and `profile-wifi.conf` in this directory). "
             "%s repetition(s) per scenario and offload; each repetition is one web page "
             "fetch (index plus objects `%s`, HTTP/1.1 keep-alive on one connection) and one "
             "bulk download of %s, both captured with dumpcap on the client's `3g` and `wifi` "
             "interfaces and dissected with tshark %s.\n" % (
                 env.get("kernel"), env.get("openssl"), env.get("reps"), env.get("objects"),
                 env.get("bulk"), "4.0"))
    vers = sorted({v for e in summary if e["scenario"] in (1, 3, 5) for v in e["tls_version"]})
    L.append("\"TLS default\" is OpenSSL's default, which negotiated **%s** in every "
             "default-TLS run; the TLS 1.2 scenarios negotiated TLSv1.2. The cipher suite is "
             "OpenSSL's first choice (see runs.csv).\n" % (", ".join(vers) or "n/a"))
    L.append("## Protocol checks\n")
    for c in checks:
        mark = "✔" if c["ok"] else "finding, does not hold here:" if c.get("finding") else "✘"
        L.append("- %s **%s**%s" % (mark, c["name"],
                                    (": " + c["detail"]) if c["detail"] else ""))
    L.append("")
    L.append("## The paper's four metrics (percent, mean ± 95 % CI over repetitions)\n")
    for m in ("enc_ratio", "retrans_ratio", "fin_ratio", "rst_ratio") if summary else ():
        L.append("### %s (%s)\n" % METRIC_NAMES[m])
        L.append(metric_table(summary, m) + "\n")
        if plots:
            L.append("![%s](plots/%s.png)\n" % (METRIC_NAMES[m][0], m))
    L.append("## Metrics the paper lacked\n")
    if summary:
        L.append(extra_table(summary) + "\n")
    if plots:
        L.append("![bulk goodput](plots/goodput.png)\n")
        L.append("![goodput over time per path](plots/paths_over_time.png)\n")
    L.append("## Handover: WiFi cut in the middle of a download\n")
    if handover:
        L.append("| transport | offload | download | client exit | what the application saw | "
                 "stall s | payload after the cut by path |")
        L.append("|---|---|---|---|---|---|---|")
        for h in handover:
            saw = ("completed, verify %s, %s bytes" % (h["client_verify"], h["client_bytes_received"])
                   if h["client_rc"] == 0 else
                   ("no data after the cut; killed by the lab's %d s watchdog" % h["watchdog_s"]
                    if h["killed_by_watchdog"] else "error: " + h["client_error"]))
            L.append("| %s | %s | %s | %d | %s | %s%.2f | %s |" % (
                h["transport"], h["offload"], h["bytes"], h["client_rc"], saw,
                "" if h["recovered"] else "≥ ", h["stall_s"],
                ", ".join("%s %d B" % kv for kv in sorted(h["payload_after_cut"].items())) or "none"))
        L.append("")
        if plots:
            L.append("![handover](plots/handover.png)\n")
    else:
        L.append("Not run (--handover none).\n")
    L.append(commentary(summary, handover, PAPER))
    L.append(definitions())
    L.append("## Files\n")
    L.append("- `runs.csv` / `runs.json`: one row per transfer (web or bulk) with every count, "
             "ratio, the tool's JSON fields and the frame range in `capture/lab.pcapng`.\n"
             "- `summary.csv` / `summary.json`: per scenario and offload, mean and CI half-width "
             "(`*_ci`), plus the paper's numbers and the handover results.\n"
             "- `pcaps/s<N>-<offload>.pcapng` (one per scenario and offload, all repetitions) and "
             "`pcaps/handover-*.pcapng`; `capture/lab.pcapng` holds the whole lab (a run's frames: "
             "`frame.number >= A && frame.number <= B` from its `frames` column); key logs in "
             "`runs/*/*/r*/keylog` (tshark: `-o tls.keylog_file:FILE`).\n"
             "- `checks.json`, `handover.json`, `experiment.log` (VM console), `progress.log`.\n"
             "- `plots/*.png|svg`.\n")
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(L))
    with open(os.path.join(out, "handover.json"), "w") as f:
        json.dump(handover, f, indent=1)
