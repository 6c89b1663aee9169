# SPDX-License-Identifier: GPL-2.0
"""The lab's tables, protocol checks and report.md."""

import csv
import json
import os
import subprocess

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


def entry(summary, s, off, grp="transfers"):
    for e in summary:
        if e["scenario"] == s and e["offload"] == off and e.get("workload") == grp:
            return e
    return None


def offloads(summary):
    return [o for o in ("kernel", "user", "none") if any(e["offload"] == o for e in summary)]


def tls_offloads(summary):
    return [o for o in offloads(summary) if o != "none"]


def groups(summary):
    return [g for g in ("transfers", "browser") if any(e["workload"] == g for e in summary)]


def scenarios(summary):
    return sorted({e["scenario"] for e in summary})


def any_entry(summary, s, grp):
    for o in offloads(summary):
        e = entry(summary, s, o, grp)
        if e:
            return e
    return None


def headline_rows(summary):
    """The headline's rows, one place for both forms: (scenario, the cells of
    encrypted, retransmitted, FIN and RST %, bulk Mbit/s).  Each cell is
    "transfers / browser [paper]" for the first TLS offload (kernel when
    run); scenario 8 has no TLS."""
    off = (tls_offloads(summary) or ["kernel"])[0]
    for s in scenarios(summary):
        o = off if s != 8 else "none"
        es = [entry(summary, s, o, g) for g in ("transfers", "browser")]
        if not any(es):
            continue
        cells = []
        for m in ("enc_ratio", "retrans_ratio", "fin_ratio", "rst_ratio"):
            p = PAPER[m][s] if s in PAPER[m] else "-"
            d = 2 if m in ("fin_ratio", "rst_ratio") else 1
            cells.append("%s [%s]" % (" / ".join(fmt(e[m], e[m + "_ci"], d) if e else "-" for e in es),
                                      "max" if p is None else p))
        t = es[0] or es[1]
        bulk = fmt(es[0]["goodput_mbps"], es[0]["goodput_mbps_ci"], 2) if es[0] else "-"
        yield "%d %s" % (s, t["title"]), cells, bulk


def headline(summary):
    """Paper vs measured, both workloads, for the console."""
    off = (tls_offloads(summary) or ["kernel"])[0]
    lines = ["Headline (%s offload; %% of packets, mean ± 95%% CI; cells: transfers / browser; "
             "paper in brackets):" % off,
             "%-40s %24s %24s %24s %24s %12s" % ("scenario", "encrypted", "retransmitted",
                                                  "FIN", "RST", "bulk Mbit/s")]
    for name, cells, bulk in headline_rows(summary):
        lines.append("%-40s %24s %24s %24s %24s %12s" % (name, *cells, bulk))
    return "\n".join(lines)


def headline_md(summary):
    """The headline as a Markdown table (report and README)."""
    L = ["| scenario | encrypted % | retransmitted % | FIN % | RST % | bulk Mbit/s |",
         "|---|---|---|---|---|---|"]
    for name, cells, bulk in headline_rows(summary):
        L.append("| %s | %s | %s |" % (name, " | ".join(cells), bulk))
    return "\n".join(L)


def checks(out, cap, env, results, summary, handover, negative, work):
    """The protocol checks of the capture; each {name, ok, detail, finding}.

    A finding is an outcome that depends on the link profiles (MPTCP beating
    the best single path does not hold on the paper's lossy 3G): it is
    reported, and the regression asserts it on its own profiles, but it does
    not fail a lab run."""
    res = []

    def add(name, ok, detail="", finding=False):
        res.append({"name": name, "ok": bool(ok), "detail": detail, "finding": finding})

    tls_runs = [r for r in results if r["scenario"] != 8]
    failed = [r["run"] + "/" + r["workload"] for r in results if r["rc"] != 0]
    add("every transfer exited 0", not failed, ", ".join(failed))
    bad_verify = [r["run"] for r in tls_runs if r["workload"] == "bulk" and r["verify"] != "ok"]
    add("bulk downloads verified byte for byte (SHA-256 on both ends)", not bad_verify,
        ", ".join(bad_verify))
    other = [(r["run"] + "/" + r["workload"], r["other_pkts"]) for r in tls_runs if r["other_pkts"]]
    add("every data-bearing segment of a TLS run is decrypted or clear (none 'other')", not other,
        "; ".join("%s: %d segments" % x for x in other))
    cut = [(r["run"] + "/" + r["workload"], r["truncated_pkts"]) for r in tls_runs
           if r["truncated_pkts"] and r["workload"] != "browser"]
    add("records cut short only where the browser resets connections", not cut,
        "; ".join("%s: %d segments" % x for x in cut) or "%d segments in browser runs" % sum(
            r["truncated_pkts"] for r in results))
    dec = [r for r in tls_runs if r["enc_pkts"] > 0]
    add("with the key log, tshark decrypts every TLS run (TCP and MPTCP)",
        len(dec) == len(tls_runs) and tls_runs,
        "%d of %d runs, %d segments decrypted" % (len(dec), len(tls_runs),
                                                  sum(r["enc_pkts"] for r in tls_runs)))
    mpt = [r for r in tls_runs if is_mptcp_tls(r["scenario"])]
    if mpt:
        add("with the key log, tshark decrypts the stitched MPTCP data stream on both subflows",
            all(r["enc_pkts"] > 0 for r in mpt) and
            any(r["enc_pkts_3g"] > 0 and r["enc_pkts_wifi"] > 0 for r in mpt),
            "%d MPTCP runs, %d segments decrypted (3G %d, WiFi %d)" % (
                len(mpt), sum(r["enc_pkts"] for r in mpt), sum(r["enc_pkts_3g"] for r in mpt),
                sum(r["enc_pkts_wifi"] for r in mpt)))
    if tls_runs:
        add("negative control: with a wrong key log tshark decrypts nothing",
            len(negative) > 0 and all(n["enc_pkts_wrong_keys"] == 0 and n["enc_pkts_right_keys"] > 0
                                      for n in negative),
            "; ".join("%s/%s: %d segments decrypted with the wrong keys, %d with the right ones" % (
                n["run"], n["workload"], n["enc_pkts_wrong_keys"], n["enc_pkts_right_keys"])
                for n in negative) or "no run to control")
    unm = sum(r["unmapped_pkts"] for r in results)
    add("every MPTCP data segment has a DSN mapping in the capture", unm == 0,
        "%d segments without one, counted apart as 'unmapped'" % unm, finding=True)
    plain = [r for r in results if r["scenario"] == 8]
    if plain:
        add("without TLS nothing decrypts (scenario 8)", all(r["enc_pkts"] == 0 for r in plain),
            "%d segments decrypted" % sum(r["enc_pkts"] for r in plain))
    # A connection whose MP_CAPABLE SYN or SYN/ACK is lost and retransmitted
    # may fall back to TCP (the kernel takes it for a middlebox): on a lossy
    # 3G path that is the path's doing, reported as a finding below, and
    # such a connection has no MP_JOIN to check.
    fell = {r["run"] + "/" + r["workload"] for r in results if r.get("mptcp_fell_back")}
    mp = [r for r in results if r["scenario"] in (1, 2, 8) and
          r["run"] + "/" + r["workload"] not in fell]
    if mp:
        add("MP_CAPABLE SYN on the 3G interface in every MPTCP run (scenarios 1, 2, 8)",
            all(r["mp_capable_3g"] for r in mp),
            ", ".join(r["run"] + "/" + r["workload"] for r in mp if not r["mp_capable_3g"]))
        add("MP_JOIN SYN on the WiFi interface in every MPTCP run (scenarios 1, 2, 8)",
            all(r["mp_join_wifi"] for r in mp),
            ", ".join(r["run"] + "/" + r["workload"] for r in mp if not r["mp_join_wifi"]))
        # A page of a few small objects may legitimately stay on the first
        # subflow; the bulk download must use both.
        mpb = [r for r in mp if r["workload"] == "bulk" and r["scenario"] != 8]
        if mpb:
            add("both subflows carry TLS records in every MPTCP bulk download",
                all(r["enc_pkts_3g"] > 0 and r["enc_pkts_wifi"] > 0 for r in mpb),
                "; ".join("%s/%s 3g=%d wifi=%d encrypted segments" % (
                    r["run"], r["workload"], r["enc_pkts_3g"], r["enc_pkts_wifi"]) for r in mpb
                    if not (r["enc_pkts_3g"] > 0 and r["enc_pkts_wifi"] > 0)))
    # Scenarios 7 and 9 open on WiFi; 3G joins with the backup flag (7) or
    # without it (9).  The client's netem drops on egress, before dumpcap
    # sees a packet: a join SYN lost on the bursty 3G, with its
    # retransmissions, leaves no trace, and a short run may end before one
    # gets through.  That is the path's doing, so a missing join is reported,
    # not failed; a join with the wrong flag fails.
    for scen, backup, what in ((7, True, "backup subflow"), (9, False, "subflow")):
        wf = [r for r in results if r["scenario"] == scen]
        if not wf:
            continue
        right, wrong = ("mp_join_3g_backup", "mp_join_3g_plain") if backup else \
            ("mp_join_3g_plain", "mp_join_3g_backup")
        add("scenario %d: MP_CAPABLE on WiFi in every run, every MP_JOIN on 3G %s the backup flag"
            % (scen, "with" if backup else "without"),
            all(r["mp_capable_wifi"] and not r.get(wrong) for r in wf) and any(r[right] for r in wf),
            ", ".join(r["run"] + "/" + r["workload"] for r in wf
                      if not r["mp_capable_wifi"] or r.get(wrong)))
        add("scenario %d: the 3G %s joined in every run" % (scen, what),
            all(r[right] for r in wf),
            ", ".join(r["run"] + "/" + r["workload"] for r in wf if not r[right]),
            finding=True)
    tool_mp = [r for r in results if is_mptcp_tls(r["scenario"]) and r["workload"] != "browser"]
    if tool_mp:
        no_fallback = [r for r in tool_mp if r["mptcp_fell_back"] is not False]
        add("no MPTCP connection of the tool fell back to TCP", not no_fallback,
            ", ".join("%s/%s (%d SYN/FIN/RST retransmitted)" % (
                r["run"], r["workload"], r["ctrl_retrans_pkts"]) for r in no_fallback),
            finding=all(r["ctrl_retrans_pkts"] > 0 for r in no_fallback))
    brw = [r for r in results if r["workload"] == "browser"]
    if brw:
        bad = [r["run"] for r in brw if not ((r.get("connections_opened") or 0) > 6 and
                                            (r.get("connections_reset") or 0) > 0 and
                                            r["rst_pkts"] > 0 and r["fin_pkts"] > 0)]
        add("browser workload: parallel connections, some reset mid-transfer (RST on the wire), "
            "the rest closed with FIN", not bad,
            "%s; %d runs, %d connections opened, %d reset, %d RST and %d FIN packets" % (
                ", ".join(bad) or "all", len(brw), sum(r.get("connections_opened") or 0 for r in brw),
                sum(r.get("connections_reset") or 0 for r in brw),
                sum(r["rst_pkts"] for r in brw), sum(r["fin_pkts"] for r in brw)))
    for off in tls_offloads(summary):
        mpg = [e["goodput_mbps"] for e in summary if e["offload"] == off and e["scenario"] in (1, 2)
               and e["workload"] == "transfers" and e["goodput_mbps"] is not None]
        spg = [e["goodput_mbps"] for e in summary if e["offload"] == off and e["scenario"] in (3, 4, 5, 6)
               and e["workload"] == "transfers" and e["goodput_mbps"] is not None]
        if mpg and spg:
            add("MPTCP bulk goodput exceeds the best single path (offload=%s)" % off,
                min(mpg) > max(spg), "MPTCP %s vs best single path %.2f Mbit/s" % (
                    "/".join("%.2f" % g for g in mpg), max(spg)), finding=True)
    marker = env.get("marker", "")
    if marker:
        hits = tf.frames_containing(cap.pcap, marker, ["frame.number", "tcp.stream"])
        plain_streams = {st for r in plain for st in r.get("streams", [])}
        in_tls = [h for h in hits if h["tcp.stream"] not in plain_streams]
        add("the plaintext marker appears in no captured frame of a TLS run", not in_tls,
            "%d frames of TLS runs contain %s" % (len(in_tls), marker))
        if plain:
            add("positive control: the marker is visible without TLS (scenario 8)",
                len(hits) - len(in_tls) > 0, "%d frames" % (len(hits) - len(in_tls)))
    # The marker, decrypted: the HTTP responses of one TCP page fetch.
    tcp_web = [r for r in results if r["scenario"] in (3, 4, 5, 6) and r["workload"] == "web"]
    if tcp_web and marker:
        from analyze import cut_run
        r = tcp_web[0]
        kl = os.path.join(out, "runs", "s%d" % r["scenario"], r["offload"], "r%d" % r["rep"], "keylog")
        d = os.path.join(work, "marker-check")
        os.makedirs(d)
        dec = tf.fields(cut_run(out, r, d), ["frame.number", "http.response.line"], "http.response",
                        prefs=["-o", "tls.keylog_file:" + kl])
        with_marker = [d for d in dec if marker in d["http.response.line"]]
        add("with --keylog, tshark decrypts the HTTP responses of %s (scenario %d)" % (
            r["run"], r["scenario"]), len(with_marker) > 0,
            "%d decrypted responses, %d show the marker header" % (len(dec), len(with_marker)))
    for h in handover:
        if h["transport"] == "mptcp":
            add("handover (offload=%s, %s): MPTCP download finishes over 3G, byte-exact, one connection"
                % (h["offload"], HANDOVER_MODES.get(h["mode"], h["mode"])),
                h["client_rc"] == 0 and h["client_verify"] == "ok" and h["mptcp_connections"] == 1,
                "exit %d, verify %s, stall %.2f s" % (h["client_rc"], h["client_verify"], h["stall_s"]))
        else:
            add("handover (offload=%s): TCP over WiFi does not survive the cut" % h["offload"],
                h["client_rc"] != 0 and not h["recovered"],
                "exit %d, watchdog %s" % (h["client_rc"], h["killed_by_watchdog"]))
    with open(os.path.join(out, "checks.json"), "w") as f:
        json.dump(res, f, indent=1)
    return res


def is_mptcp_tls(s):
    return s in (1, 2, 7, 9)


# The WiFi cut's modes (scripts/lab/experiment handover_run).
HANDOVER_MODES = {"mptcp": "MPTCP opened on 3G, WiFi joined, both active",
                  "mptcp-backup": "MPTCP opened on WiFi, 3G joined as backup",
                  "mptcp-wifi-first": "MPTCP opened on WiFi, 3G joined, both active",
                  "tcp": "TCP over WiFi"}


def write_tables(out, results, summary, handover, checks, negative):
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
        json.dump({"paper": PAPER, "summary": summary, "handover": handover,
                   "negative_control": negative}, f, indent=1)


def cell(summary, s, o, g, m, d=1):
    e = entry(summary, s, o, g)
    return fmt(e[m], e[m + "_ci"], d) if e and e.get(m) is not None else "n/a"


def columns(summary):
    """(group, offload) columns; scenario 8 (no TLS) fills the first one."""
    return [(g, o) for g in groups(summary) for o in tls_offloads(summary)] or \
        [(g, "none") for g in groups(summary)]


def row_cells(summary, s, m, d=1):
    cols = columns(summary)
    if s == 8:
        first = {}
        out = []
        for g, o in cols:
            out.append(cell(summary, s, "none", g, m, d) + " (no TLS)" if g not in first else "")
            first[g] = True
        return out
    return [cell(summary, s, o, g, m, d) for g, o in cols]


def metric_table(summary, m):
    cols = columns(summary)
    head = "| Scenario | Paper (%s) | " % METRIC_NAMES[m][1] + " | ".join(
        "%s, %s TLS" % (g, o) for g, o in cols) + " |"
    lines = [head, "|" + "---|" * (2 + len(cols))]
    d = 2 if m in ("fin_ratio", "rst_ratio") else 1
    for s in scenarios(summary):
        title = (any_entry(summary, s, "transfers") or any_entry(summary, s, "browser") or {}).get(
            "title", str(s))
        p = paper_fmt(m, s) if s in PAPER[m] else "—"
        lines.append("| %d. %s | %s | %s |" % (s, title, p, " | ".join(row_cells(summary, s, m, d))))
    return "\n".join(lines)


def table(head, rows):
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] +
                     ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])


def encryption_table(summary):
    rows = []
    for e in summary:
        rows.append(["%d. %s" % (e["scenario"], e["title"]), e["offload"], e["workload"],
                     e["total_data_pkts"], e["total_enc_pkts"], e["total_clear_pkts"],
                     e["total_other_pkts"], e["total_truncated_pkts"], e["total_unmapped_pkts"]])
    return table(["Scenario", "offload", "workload", "data segments", "decrypted", "clear",
                  "other", "in a record cut short", "no DSN mapping"], rows)


def negative_table(negative):
    return table(["run", "workload", "transport", "data segments", "decrypted, right keys",
                  "decrypted, wrong keys", "clear, wrong keys", "other, wrong keys"],
                 [[n["run"], n["workload"], n["transport"], n["data_pkts"], n["enc_pkts_right_keys"],
                   n["enc_pkts_wrong_keys"], n["clear_pkts_wrong_keys"], n["other_pkts_wrong_keys"]]
                  for n in negative])


def loss_table(summary):
    rows = []
    for e in summary:
        rows.append(["%d. %s" % (e["scenario"], e["title"]), e["offload"], e["workload"],
                     fmt(e["retrans_ratio"], e["retrans_ratio_ci"]),
                     "%d (%s)" % (e["total_ctrl_retrans_pkts"],
                                  fmt(e["ctrl_retrans_ratio"], e["ctrl_retrans_ratio_ci"], 2)),
                     fmt(e["spurious_retrans_ratio"], e["spurious_retrans_ratio_ci"]),
                     fmt(e["down_server_retrans_ratio"], e["down_server_retrans_ratio_ci"]),
                     fmt(e["down_loss_ratio"], e["down_loss_ratio_ci"]),
                     "%s / %s" % (fmt(e["down_loss_ratio_3g"]), fmt(e["down_loss_ratio_wifi"]))])
    return table(["Scenario", "offload", "workload", "retransmitted data % (client)",
                  "SYN/FIN/RST retransmits (% of packets)", "spurious %",
                  "downlink sent again % (server)", "downlink lost %", "lost % 3G / WiFi"], rows)


def extra_table(summary):
    rows = []
    for e in summary:
        rows.append(["%d. %s" % (e["scenario"], e["title"]), e["offload"], e["workload"],
                     "/".join(e["tls_version"]) or "none",
                     fmt(e["handshake_ms"], e["handshake_ms_ci"], 0),
                     fmt(e["page_ms"], e["page_ms_ci"], 0) if e["workload"] == "transfers"
                     else fmt(e["view_ms"], e["view_ms_ci"], 0),
                     fmt(e["goodput_mbps"], e["goodput_mbps_ci"], 2),
                     fmt(e["connections_opened"], None, 1) + " / " + fmt(e["connections_reset"], None, 1)
                     if e["workload"] == "browser" else "1 / 0",
                     fmt(e["wifi_payload_share"], e["wifi_payload_share_ci"]),
                     fmt(e["enc_ratio_all_pkts"], e["enc_ratio_all_pkts_ci"])])
    return table(["Scenario", "offload", "workload", "TLS", "handshake ms",
                  "page ms (transfers: one connection; browser: first view)", "bulk goodput Mbit/s",
                  "connections opened / reset per rep", "WiFi share of payload %",
                  "decrypted / all packets %"], rows)


def environment(out, env):
    """Facts of this run, read when it ran (config.env from the guest,
    host.env from scripts/lab/run) and when it was analysed (tshark)."""
    host = {}
    p = os.path.join(out, "host.env")
    if os.path.exists(p):
        for line in open(p):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                host[k] = v
    ts = subprocess.run([tf.TSHARK, "--version"], stdout=subprocess.PIPE, text=True).stdout
    return {"kernel": env.get("kernel", "n/a"), "openssl": env.get("openssl", "n/a"),
            "python": env.get("python", "n/a"), "vcpus": env.get("vcpus", "n/a"),
            "mptls": env.get("mptls", "n/a"),
            "virt": env.get("virt", "n/a"), "cpu": env.get("cpu", "n/a"),
            "qemu": host.get("qemu", "n/a"), "host_cpus": host.get("host_cpus", "n/a"),
            "host_load": host.get("host_load", "n/a"),
            "tshark": ts.splitlines()[0] if ts else "n/a"}


def write_report(out, env, results, summary, handover, checks, plots, negative):
    from commentary import commentary, definitions
    fx = environment(out, env)
    L = []
    L.append("# mptls lab: the paper's experiment, reproduced\n")
    L.append("Measured in a QEMU guest (%s; virtualisation seen by the guest: `%s`; %s vCPUs, "
             "CPU `%s`) on kernel `%s`, %s, %s (the browser workload's client: Python %s), on a "
             "host with %s CPUs (load average at the start: %s). Captures dissected with %s. "
             "Test bed of `scripts/lab/lib.sh` (netns client/router/server, netem profiles "
             "`profile-3g.conf` and `profile-wifi.conf` in this directory). %s repetition(s) per "
             "scenario and offload; each repetition runs the workloads `%s`: *web*, one page "
             "(index plus objects `%s`) over HTTP/1.1 keep-alive on one connection; *bulk*, a "
             "download of %s; *browser*, three page views as a browser makes them (up to six "
             "parallel keep-alive connections, a realistic mix of object sizes, the second "
             "view abandoned mid-transfer with RST; `scripts/lab/browser.py`). *transfers* "
             "below means web and bulk together. Captured with dumpcap on the client's `3g` "
             "and `wifi` interfaces and on the server's.\n" % (
                 fx["qemu"], fx["virt"], fx["vcpus"], fx["cpu"], fx["kernel"], fx["mptls"], fx["openssl"],
                 fx["python"], fx["host_cpus"], fx["host_load"], fx["tshark"], env.get("reps"),
                 env.get("workloads", "web bulk"), env.get("objects"), env.get("bulk")))
    vers = sorted({v for e in summary if e["scenario"] in (1, 3, 5, 7) for v in e["tls_version"]})
    L.append("\"TLS default\" is OpenSSL's default, which negotiated **%s** in the "
             "default-TLS runs; the TLS 1.2 scenarios negotiated %s. In the browser workload "
             "the client side is OpenSSL in Python (user-mode TLS) and the server's record layer "
             "is the column's offload.\n" % (
                 ", ".join(vers) or "n/a",
                 ", ".join(sorted({v for e in summary if e["scenario"] in (2, 4, 6)
                                   for v in e["tls_version"]})) or "n/a"))
    L.append("## Protocol checks\n")
    for c in checks:
        mark = "✔" if c["ok"] else "finding, does not hold here:" if c.get("finding") else "✘"
        L.append("- %s **%s**%s" % (mark, c["name"],
                                    (": " + c["detail"]) if c["detail"] else ""))
    L.append("")
    if summary:
        L.append("## Headline\n")
        L.append("Cells: transfers / browser-like workload, %s offload (scenario 8: no TLS); mean "
                 "± 95 %% CI over repetitions; the paper's value in brackets.\n" % (
                     (tls_offloads(summary) or ["none"])[0]))
        L.append(headline_md(summary) + "\n")
        if plots:
            L.append("![our four ratios beside the paper's Figs 10-13](plots/paper_vs_ours.png)\n")
    L.append("## The paper's four metrics (percent, mean ± 95 % CI over repetitions)\n")
    for m in ("enc_ratio", "retrans_ratio", "fin_ratio", "rst_ratio") if summary else ():
        L.append("### %s (%s)\n" % METRIC_NAMES[m])
        L.append(metric_table(summary, m) + "\n")
        if plots:
            L.append("![%s](plots/%s.png)\n" % (METRIC_NAMES[m][0], m))
    if summary:
        L.append("## Encryption, measured by decryption\n")
        L.append("Data-bearing segments summed over repetitions: *decrypted* (tshark decrypted "
                 "and authenticated their records with the run's key log), *clear* (readable "
                 "without keys), *other* (neither), *in a record cut short* (after the last "
                 "record that completed in its direction: a connection reset mid-record), *no DSN "
                 "mapping* (MPTCP segments whose mapping is not in the capture), each counted "
                 "apart.\n")
        L.append(encryption_table(summary) + "\n")
        L.append("Negative control: the first TLS run of each transport analysed again from a cut "
                 "of the capture, with a key log of the same client randoms and random "
                 "secrets.\n")
        L.append(negative_table(negative) + "\n")
        L.append("## Retransmissions and downlink loss\n")
        L.append(loss_table(summary) + "\n")
        L.append("## Metrics the paper lacked\n")
        L.append(extra_table(summary) + "\n")
    if plots:
        L.append("![bulk goodput](plots/goodput.png)\n")
        L.append("![goodput over time per path](plots/paths_over_time.png)\n")
    L.append("## Handover: WiFi cut in the middle of a download\n")
    if handover:
        L.append("| mode | offload | download | client exit | what the application saw | "
                 "stall s | payload after the cut by path |")
        L.append("|---|---|---|---|---|---|---|")
        for h in handover:
            saw = ("completed, verify %s, %s bytes" % (h["client_verify"], h["client_bytes_received"])
                   if h["client_rc"] == 0 else
                   ("no data after the cut; killed by the lab's %d s watchdog" % h["watchdog_s"]
                    if h["killed_by_watchdog"] else "error: " + h["client_error"]))
            L.append("| %s | %s | %s | %d | %s | %s%.2f | %s |" % (
                HANDOVER_MODES.get(h["mode"], h["mode"]), h["offload"], h["bytes"],
                h["client_rc"], saw, "" if h["recovered"] else "≥ ", h["stall_s"],
                ", ".join("%s %d B" % kv for kv in sorted(h["payload_after_cut"].items())) or "none"))
        L.append("")
        if plots:
            L.append("![handover](plots/handover.png)\n")
    else:
        L.append("Not run (--handover none).\n")
    L.append(commentary(summary, handover, PAPER))
    L.append(definitions())
    L.append("## Files\n")
    L.append("- `runs.csv` / `runs.json`: one row per transfer (web, bulk or browser) with every "
             "count, ratio, the client's JSON fields and the frame range in `capture/lab.pcapng`.\n"
             "- `summary.csv` / `summary.json`: per scenario, offload and workload, mean and CI "
             "half-width (`*_ci`) and the sums (`total_*`), plus the paper's numbers and the "
             "handover results.\n"
             "- `pcaps/s<N>-<offload>.pcapng` (one per scenario and offload, all repetitions) and "
             "`pcaps/handover-*.pcapng`; `capture/lab.pcapng` holds the whole lab (a run's frames: "
             "`frame.number >= A && frame.number <= B` from its `frames` column), "
             "`capture/server.pcapng` the server's side; key logs in `runs/*/*/r*/keylog` "
             "(tshark: `-o tls.keylog_file:FILE`).\n"
             "- `checks.json`, `handover.json`, `experiment.log` (VM console), `progress.log`, "
             "`config.env` and `host.env` (what ran where).\n"
             "- `plots/*.png|svg`.\n")
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(L))
    with open(os.path.join(out, "handover.json"), "w") as f:
        json.dump(handover, f, indent=1)
