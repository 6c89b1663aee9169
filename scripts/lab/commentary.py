# SPDX-License-Identifier: GPL-2.0
"""What the numbers mean: the report's discussion and metric definitions."""

import os


def _get(summary, s, off, key):
    for e in summary:
        if e["scenario"] == s and e["offload"] == off:
            return e.get(key)
    return None


def _f(v, d=1):
    return "n/a" if v is None else "%.*f" % (d, v)


def commentary(summary, handover, paper):
    off = "kernel" if any(e["offload"] == "kernel" for e in summary) else "user"
    g = lambda s, k: _get(summary, s, off, k)  # noqa: E731
    L = ["## What matches the paper, what does not, and why\n"]
    enc = [g(s, "enc_ratio") for s in range(1, 7)]
    L.append("- **Encrypted packets ratio.** Measured %s %% (scenarios 1–6, %s offload) against "
             "the paper's max/97/93/92/88/87 %%. What matches: every scenario is dominated by "
             "encrypted records, and the TLS 1.2 scenarios sit slightly below the default (1.3) ones "
             "because TLS 1.2 sends Certificate, ServerKeyExchange, ClientKeyExchange and "
             "ChangeCipherSpec in clear while 1.3 encrypts everything after ServerHello. What does "
             "not: the paper's 5–13 point gap between MPTCP and TCP. The only data segments that are "
             "not encrypted are the handshake's clear-text messages, so the ratio is "
             "1 − (handshake segments / data segments) and depends on the transfer size, not on the "
             "transport; MPTCP scores higher only where its connections move more data per handshake. "
             "The paper's TCP runs probably included unrelated clear-text traffic (DNS, HTTP "
             "redirects, OCSP) that a browser produces and our lab does not.\n" % (
                 "/".join(_f(v) for v in enc), off))
    rt = [g(s, "retrans_ratio") for s in range(1, 7)]
    L.append("- **TCP retransmission ratio.** Measured %s %% against 6/5/0/0/7/6 %%. What matches: "
             "WiFi (DSL-backed, no loss in the profile) shows no or almost no retransmissions, 3G "
             "shows some, and MPTCP sits between the two because only the part of the data that "
             "travels over 3G can be lost. What does not: the absolute level on 3G follows the "
             "profile's 1 %% random loss in each direction (plus losses from queue overflow at 2 "
             "Mbit/s), whereas the paper's 6–7 %% came from a real HSPA link whose loss model we "
             "do not know. Retransmissions on the loss-free WiFi path are tail-loss probes and timeouts "
             "that tshark flags as spurious (column \"spurious retransmissions\"): the emulated "
             "guest's timers run late when the host is busy. Edit `profiles/3g.conf` to "
             "explore.\n" % "/".join(_f(v) for v in rt))
    fin = [g(s, "fin_ratio") for s in range(1, 7)]
    rst = [g(s, "rst_ratio") for s in range(1, 7)]
    L.append("- **FIN and RST ratios.** Measured FIN %s %% (paper 7/8/7/7/8/9) and RST %s %% "
             "(paper 4/3/4/3/4/5). These ratios count control packets over all packets, so they "
             "mostly measure how short the connections are: each connection here ends with one "
             "FIN per direction and per subflow, and no connection is reset in an orderly run, so "
             "the ratios are far below the paper's, which comes from a browser opening and "
             "aborting many short connections. The comparison MPTCP vs TCP says nothing about "
             "security; a MPTCP connection adds one FIN pair per extra subflow (and Linux may "
             "reset a subflow at close), which is what any difference here reflects.\n" % (
                 "/".join(_f(v, 2) for v in fin), "/".join(_f(v, 2) for v in rst)))
    gp = [g(s, "goodput_mbps") for s in range(1, 7)]
    mp = [v for v in gp[:2] if v is not None]
    sp = [v for v in gp[2:] if v is not None]
    if mp and sp and min(mp) > max(sp):
        verdict = ("MPTCP aggregates both paths (profiles: 8 + 2 Mbit/s down) and beats the best "
                   "single path")
    elif mp and sp:
        verdict = ("MPTCP does **not** beat TCP over WiFi alone here. The per-path plot and the "
                   "spread between repetitions show why: the scheduler puts part of the stream on "
                   "3G, and when a 3G segment is lost (1 % per direction, plus queue drops) the "
                   "WiFi data behind it waits at the receiver until 3G recovers (head-of-line "
                   "blocking), stalling the whole transfer for up to seconds; slow start on "
                   "a second path and the 120 ms 3G RTT also weigh on short transfers. The "
                   "paper does not report goodput, so there is nothing to contradict; with the "
                   "loss-free 3G profile (`profiles/3g-clean.conf`, used by the regression) and "
                   "2 MB downloads MPTCP is expected to come out ahead")
    else:
        verdict = "not enough scenarios ran to compare"
    L.append("- **Goodput (not in the paper).** Bulk goodput %s Mbit/s for scenarios 1–6 "
             "(mean of the %s offload runs): %s.\n" % ("/".join(_f(v, 2) for v in gp), off, verdict))
    pg = [g(s, "page_ms") for s in range(1, 7)]
    hs = [g(s, "handshake_ms") for s in range(1, 7)]
    L.append("- **Page and handshake times (not in the paper).** Page completion %s ms and TLS "
             "handshake %s ms for scenarios 1–6. As in the paper's setup, the MPTCP connection "
             "opens on 3G (MP_CAPABLE) and WiFi joins only after that handshake, so MPTCP pays "
             "3G's RTT for the TCP and TLS handshakes and, for a page of small objects fetched "
             "one after the other, keeps sending part of them over 3G: the page loads closer to "
             "the 3G time than to the WiFi time. Multipath helps long transfers and "
             "robustness (see the handover), not request/response latency.\n" % (
                 "/".join(_f(v, 0) for v in pg), "/".join(_f(v, 0) for v in hs)))
    ko = [(_get(summary, s, "kernel", "goodput_mbps"), _get(summary, s, "user", "goodput_mbps"))
          for s in range(1, 7)]
    if any(k is not None and u is not None for k, u in ko):
        L.append("- **Kernel vs user TLS.** Goodput kernel/user per scenario: %s Mbit/s. At these "
                 "link rates the record layer is nowhere near the bottleneck (even OpenSSL under "
                 "TCG encrypts ~50 MB/s), so the two columns agree within their confidence "
                 "intervals; the packet ratios do not depend on where records are built.\n" %
                 ", ".join("%s/%s" % (_f(k, 2), _f(u, 2)) for k, u in ko))
    for h in handover:
        if h["transport"] == "mptcp":
            L.append("- **Handover, MPTCP (offload=%s).** WiFi vanished after a third of the "
                     "download; the client's data-level acknowledgement stalled for %.2f s and "
                     "then the transfer went on over 3G in the same connection and TLS session "
                     "(client exit %d, --check-data %s).\n" % (
                         h["offload"], h["stall_s"], h["client_rc"], h["client_verify"]))
        else:
            L.append("- **Handover, TCP over WiFi (offload=%s).** After the cut the client "
                     "received nothing (its ACK stayed still for %s%.2f s); a plain TCP "
                     "connection is tied to the WiFi address and has no other path, so the "
                     "application just blocks in read() until a timeout (here the lab's %d s "
                     "watchdog; exit %d).\n" % (
                         h["offload"], "" if h["recovered"] else "≥ ", h["stall_s"],
                         h["watchdog_s"], h["client_rc"]))
    return "\n".join(L) + "\n"


def definitions():
    """The metric definitions: the section of scripts/lab/README.md."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md")
    text = open(path).read()
    return text[text.index("## Metric definitions"):]
