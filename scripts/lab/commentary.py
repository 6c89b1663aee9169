# SPDX-License-Identifier: GPL-2.0
"""What the numbers say: every comparison sentence of the report, written
from the summary's means and 95 % confidence intervals.  No sentence here
states a result; each one is filled in from a comparison, so a run that
measures something else reads differently."""

import os

from report import HANDOVER_MODES

PAPER_WORDS = {"enc_ratio": "encrypted", "retrans_ratio": "retransmitted",
               "fin_ratio": "FIN", "rst_ratio": "RST"}
TITLES = {"enc_ratio": "Encrypted", "retrans_ratio": "Retransmitted", "fin_ratio": "FIN",
          "rst_ratio": "RST"}
GROUP_WORDS = {"transfers": "transfers (page on one connection + bulk download)",
               "browser": "browser-like workload"}


def entry(summary, s, off, grp):
    for e in summary:
        if e["scenario"] == s and e["offload"] == off and e["workload"] == grp:
            return e
    return None


def f(v, d=1):
    return "n/a" if v is None else "%.*f" % (d, v)


def fci(e, k, d=1):
    if not e or e.get(k) is None:
        return "n/a"
    ci = e.get(k + "_ci")
    return f(e[k], d) + ("" if ci is None else " ± " + f(ci, d))


def compare(a, a_ci, b, b_ci):
    """'higher', 'lower', 'agree' (95 % CIs overlap) or None (no CI to judge by).

    A value without a CI (one repetition, or the paper's number) counts as
    exact: two such values cannot be judged."""
    if a is None or b is None:
        return None
    if a_ci is None and b_ci is None:
        return None
    lo_a, hi_a = a - (a_ci or 0), a + (a_ci or 0)
    lo_b, hi_b = b - (b_ci or 0), b + (b_ci or 0)
    if hi_a < lo_b:
        return "lower"
    if lo_a > hi_b:
        return "higher"
    return "agree"


def verdict_words(v):
    return {"higher": "differ (higher)", "lower": "differ (lower)",
            "agree": "agree within their 95 % CIs", None: "cannot be judged (no CI)"}[v]


def paper_direction(paper, m, a, b, tol=1):
    """The paper's MPTCP-vs-TCP difference: 'higher', 'lower' or 'agree'
    (within TOL points: its figures give whole percent)."""
    pa, pb = paper[m][a], paper[m][b]
    if pa is None:  # scenario 1's "maximum": at least the highest other value
        pa = max(v for v in paper[m].values() if v is not None)
    if abs(pa - pb) <= tol:
        return "agree", pa, pb
    return ("higher" if pa > pb else "lower"), pa, pb


def claims(summary, paper, off):
    """The paper's MPTCP-vs-TCP differences (same TLS version), tested per
    workload.  Returns rows and the sentences."""
    pairs = [(1, 3), (1, 5), (2, 4), (2, 6)]
    rows = []
    for m in ("enc_ratio", "retrans_ratio", "fin_ratio", "rst_ratio"):
        for a, b in pairs:
            pdir, pa, pb = paper_direction(paper, m, a, b)
            row = {"metric": m, "a": a, "b": b, "paper": (pa, pb), "paper_dir": pdir}
            for grp in ("transfers", "browser"):
                ea, eb = entry(summary, a, off, grp), entry(summary, b, off, grp)
                if not ea or not eb:
                    row[grp] = None
                    continue
                v = compare(ea[m], ea[m + "_ci"], eb[m], eb[m + "_ci"])
                row[grp] = (v, fci(ea, m, 2), fci(eb, m, 2))
            rows.append(row)
    return rows


def holds(pdir, ours):
    if ours is None or ours[0] is None:
        return "not judged"
    if ours[0] == pdir:
        return "holds"
    if ours[0] == "agree":
        return "no difference here"
    return "reversed" if pdir != "agree" else "differs here"


def claims_table(rows):
    L = ["| metric | MPTCP vs TCP | paper | paper says | transfers: MPTCP vs TCP | "
         "→ | browser: MPTCP vs TCP | → |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = []
        for grp in ("transfers", "browser"):
            o = r[grp]
            if o is None:
                cells += ["not run", "—"]
            else:
                cells += ["%s vs %s: %s" % (o[1], o[2], verdict_words(o[0])), holds(r["paper_dir"], o)]
        L.append("| %s | %d vs %d | %s vs %s | %s | %s | %s | %s | %s |" % (
            PAPER_WORDS[r["metric"]], r["a"], r["b"], r["paper"][0], r["paper"][1],
            {"higher": "MPTCP higher", "lower": "MPTCP lower", "agree": "no difference"}[r["paper_dir"]],
            *cells))
    return "\n".join(L)


def claims_summary(rows):
    """Per metric: which of the paper's differences survive in which workload."""
    L = []
    for m in ("enc_ratio", "retrans_ratio", "fin_ratio", "rst_ratio"):
        mine = [r for r in rows if r["metric"] == m]
        out = []
        for grp in ("transfers", "browser"):
            verdicts = [holds(r["paper_dir"], r[grp]) for r in mine if r[grp] is not None]
            if verdicts:
                out.append("%s: %d of %d comparisons hold (%s)" % (
                    grp, verdicts.count("holds"), len(verdicts), ", ".join(
                        "%d vs %d %s" % (r["a"], r["b"], holds(r["paper_dir"], r[grp]))
                        for r in mine if r[grp] is not None)))
        tb = [(holds(r["paper_dir"], r["transfers"]), holds(r["paper_dir"], r["browser"]))
              for r in mine if r["transfers"] is not None and r["browser"] is not None]
        only_browser = sum(1 for t, b in tb if b == "holds" and t != "holds")
        only_transfers = sum(1 for t, b in tb if t == "holds" and b != "holds")
        both = sum(1 for t, b in tb if t == "holds" and b == "holds")
        tail = ""
        if tb:
            tail = (" Of the comparisons made in both workloads, %d hold in both, %d only under the "
                    "browser-like workload and %d only under the transfers: a difference that holds "
                    "in one workload only depends on the workload, not on MPTCP." % (
                        both, only_browser, only_transfers))
        L.append("- **%s ratio.** %s.%s" % (TITLES[m], "; ".join(out) or "not run",
                                           tail))
    return "\n".join(L) + "\n"


def levels(summary, paper, off):
    """Our ratio levels against the paper's, per workload: inside or outside
    our CI, and how far."""
    L = []
    for m in ("fin_ratio", "rst_ratio", "retrans_ratio", "enc_ratio"):
        parts = []
        for grp in ("transfers", "browser"):
            cells = []
            for s in range(1, 7):
                e = entry(summary, s, off, grp)
                p = paper[m][s]
                if not e or e[m] is None or p is None:
                    continue
                v = compare(e[m], e[m + "_ci"], p, 0.0)
                cells.append("%d: %s vs %d (%s)" % (s, fci(e, m, 2), p, {
                    "higher": "above", "lower": "below", "agree": "paper inside our CI",
                    None: "no CI"}[v]))
            if cells:
                parts.append("%s: %s" % (grp, "; ".join(cells)))
        if parts:
            L.append("- **%s, ours vs the paper's** (%s offload): %s." % (
                TITLES[m], off, " — ".join(parts)))
    return "\n".join(L) + "\n"


def workload_effect(summary, off):
    """The same scenario under the two workloads: what the workload alone
    changes."""
    L = []
    for m in ("enc_ratio", "retrans_ratio", "fin_ratio", "rst_ratio"):
        cells, n_diff, n = [], 0, 0
        for s in range(1, 7):
            b, t = entry(summary, s, off, "browser"), entry(summary, s, off, "transfers")
            if not b or not t or b[m] is None or t[m] is None:
                continue
            v = compare(b[m], b[m + "_ci"], t[m], t[m + "_ci"])
            n += 1
            n_diff += v in ("higher", "lower")
            cells.append("%d: %s vs %s (%s)" % (s, fci(b, m, 2), fci(t, m, 2), verdict_words(v)))
        if cells:
            L.append("- **%s, browser vs transfers** (%s offload): the workload alone changes the "
                     "ratio in %d of %d scenarios; %s." % (TITLES[m], off, n_diff, n, "; ".join(cells)))
    return "\n".join(L) + "\n"


def pair_sentence(summary, what, key, a, b, grp, off_a, off_b=None, d=2, unit=""):
    ea, eb = entry(summary, a[0], off_a, grp), entry(summary, b[0], off_b or off_a, grp)
    if not ea or not eb or ea.get(key) is None or eb.get(key) is None:
        return None
    v = compare(ea[key], ea[key + "_ci"], eb[key], eb[key + "_ci"])
    return "%s: %s %s%s vs %s %s%s: %s." % (what, a[1], fci(ea, key, d), unit, b[1],
                                             fci(eb, key, d), unit, verdict_words(v))


def extras(summary, handover, off):
    """TLS vs no TLS, which path opens and how 3G joins, kernel vs user: sentences."""
    L = []
    for key, what, unit in (("goodput_mbps", "bulk goodput", " Mbit/s"),
                            ("enc_ratio", "encrypted ratio", " %"),
                            ("fin_ratio", "FIN ratio", " %"),
                            ("retrans_ratio", "retransmitted ratio", " %")):
        s = pair_sentence(summary, "TLS layer, " + what + " (transfers)", key,
                          (1, "MPTCP+TLS (%s)" % off), (8, "MPTCP without TLS"), "transfers", off,
                          "none", unit=unit)
        if s:
            L.append("- " + s)
    for what, b in (("opened on WiFi against opened on 3G", (1, "opened on 3G, WiFi joins")),
                    ("opened on WiFi, 3G as a subflow against 3G as backup", (7, "WiFi + 3G backup")),
                    ("opened on WiFi against TCP on WiFi alone", (3, "TCP over WiFi"))):
        s = pair_sentence(summary, what + ", bulk goodput", "goodput_mbps",
                          (9, "opened on WiFi, 3G joins"), b, "transfers", off, unit=" Mbit/s")
        if s:
            L.append("- " + s)
    s = pair_sentence(summary, "3G as backup, bulk goodput", "goodput_mbps",
                      (7, "WiFi + 3G backup"), (1, "3G + WiFi both active"), "transfers", off,
                      unit=" Mbit/s")
    if s:
        L.append("- " + s)
    s = pair_sentence(summary, "3G as backup against TCP on WiFi alone, bulk goodput", "goodput_mbps",
                      (7, "WiFi + 3G backup"), (3, "TCP over WiFi"), "transfers", off, unit=" Mbit/s")
    if s:
        L.append("- " + s)
    for s in range(1, 10):
        t = pair_sentence(summary, "kernel vs user TLS, scenario %d bulk goodput" % s, "goodput_mbps",
                          (s, "kernel"), (s, "user"), "transfers", "kernel", "user", unit=" Mbit/s")
        if t:
            L.append("- " + t)
    for h in handover:
        if h["transport"] != "mptcp":
            continue
        L.append("- Handover, %s (offload=%s): the client's data-level acknowledgement stalled "
                 "%.2f s after the WiFi cut; client exit %d, --check-data %s." % (
                     HANDOVER_MODES.get(h["mode"], h["mode"]),
                     h["offload"], h["stall_s"], h["client_rc"], h["client_verify"]))
    return "\n".join(L) + "\n"


def commentary(summary, handover, paper):
    offs = [o for o in ("kernel", "user") if any(e["offload"] == o for e in summary)]
    off = offs[0] if offs else "kernel"
    rows = claims(summary, paper, off)
    L = ["## Which of the paper's MPTCP-vs-TCP differences hold\n",
         "Each of the paper's differences between an MPTCP scenario and the TCP scenario of "
         "the same TLS version (Figs 10-13, whole percent, no error bars; a gap of at most one "
         "point counts as \"no difference\") is tested on our data, %s offload, per workload: "
         "two of our means *differ* when their 95 %% confidence intervals do not overlap. "
         "\"holds\": we see the paper's difference in the same direction; \"no difference "
         "here\": our intervals overlap; \"reversed\": we see the opposite.\n" % off,
         claims_table(rows) + "\n", claims_summary(rows),
         "## Our levels against the paper's\n", levels(summary, paper, off),
         "## What the workload alone changes\n", workload_effect(summary, off),
         "## TLS, path set-up, record layer, handover\n", extras(summary, handover, off)]
    return "\n".join(L)


def definitions():
    """The metric definitions: the section of scripts/lab/README.md."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md")
    text = open(path).read()
    return text[text.index("## Metric definitions"):]
