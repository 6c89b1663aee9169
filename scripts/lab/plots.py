# SPDX-License-Identifier: GPL-2.0
"""The lab's plots (PNG and SVG), in the spirit of the paper's Figs 10-13."""

import os

import matplotlib

from tsharkfields import SERVER_PORTS
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from report import (PAPER, METRIC_NAMES, any_entry, entry, groups, scenarios,  # noqa: E402
                    tls_offloads)

COLORS = {"paper": "#9e9e9e", "kernel": "#1f77b4", "user": "#ff7f0e"}
PATH_COLORS = {"3g": "#d62728", "wifi": "#2ca02c"}


def save(fig, out, name):
    d = os.path.join(out, "plots")
    os.makedirs(d, exist_ok=True)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(d, "%s.%s" % (name, ext)), dpi=110)
    plt.close(fig)


def short(e, s):
    return ("%d. %s" % (s, e["title"] if e else "")).replace(" (", "\n(")


SERIES_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]


def bars(out, summary, key, ylabel, name, title, paper=None, only=None):
    """Bars per scenario: the paper's, then one per (workload, offload);
    scenario 8 (no TLS) sits in the first series of its workload."""
    scs = [s for s in scenarios(summary) if not only or s in only]
    cols = [(g, o) for g in groups(summary) for o in (tls_offloads(summary) or ["none"])]
    if key == "goodput_mbps":
        cols = [c for c in cols if c[0] == "transfers"]
    series = ([("paper", None)] if paper else []) + cols
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(11, 4.4))
    for i, col in enumerate(series):
        xs = [s - 0.4 + width * (i + 0.5) for s in scs]
        if col[0] == "paper":
            known = [(x, paper[s]) for x, s in zip(xs, scs) if s in paper and paper[s] is not None]
            ax.bar([k[0] for k in known], [k[1] for k in known], width, color=COLORS["paper"],
                   label="paper (numbers in its text)")
            for x, s in zip(xs, scs):
                if s in paper and paper[s] is None:  # "the maximum": an outline at 100
                    ax.bar([x], [100], width, fill=False, hatch="//", edgecolor=COLORS["paper"])
                    ax.text(x, 50, "paper: max,\nno number", ha="center", fontsize=6, rotation=90)
            continue
        g, o = col
        vals, errs = [], []
        for s in scs:
            e = entry(summary, s, "none" if s == 8 else o, g)
            if s == 8 and o != cols[0][1]:
                e = None
            vals.append(e[key] if e and e.get(key) is not None else 0)
            errs.append(e[key + "_ci"] if e and e.get(key + "_ci") is not None else 0)
        ax.bar(xs, vals, width, yerr=errs, capsize=3, color=SERIES_COLORS[(i - 1) % 4],
               label="%s, %s TLS" % (g, o))
    ax.set_xticks(scs)
    ax.set_xticklabels([short(any_entry(summary, s, "transfers") or any_entry(summary, s, "browser"), s)
                        for s in scs], fontsize=6)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=5)
    ax.grid(axis="y", alpha=0.3)
    save(fig, out, name)


def paper_vs_ours(out, summary):
    """One image: the paper's Figs 10-13 (its six scenarios) beside our
    four ratios under both workloads (first TLS offload)."""
    off = (tls_offloads(summary) or ["kernel"])[0]
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5))
    scs = [s for s in range(1, 7) if any_entry(summary, s, "transfers") or
           any_entry(summary, s, "browser")]
    series = [("paper", None, COLORS["paper"])] + [
        (g, off, c) for g, c in (("transfers", "#1f77b4"), ("browser", "#d62728"))
        if g in groups(summary)]
    width = 0.8 / len(series)
    for ax, (m, (name, figname)) in zip(axes.flat, METRIC_NAMES.items()):
        for i, (g, o, color) in enumerate(series):
            xs = [s - 0.4 + width * (i + 0.5) for s in scs]
            if g == "paper":
                vals = [PAPER[m][s] if PAPER[m][s] is not None else 100 for s in scs]
                ax.bar(xs, vals, width, color=color, label="paper, %s" % figname)
                continue
            es = [entry(summary, s, o, g) for s in scs]
            ax.bar(xs, [e[m] if e and e[m] is not None else 0 for e in es], width,
                   yerr=[e[m + "_ci"] if e and e[m + "_ci"] is not None else 0 for e in es],
                   capsize=2, color=color, label="ours, %s (%s TLS)" % (g, o))
        ax.set_title("%s (paper's %s)" % (name, figname), fontsize=10)
        ax.set_xticks(scs)
        ax.set_xticklabels([str(s) for s in scs])
        ax.set_xlabel("scenario (1-2 MPTCP 3G+WiFi, 3-4 TCP WiFi, 5-6 TCP 3G)", fontsize=8)
        ax.set_ylabel("% of packets")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Our four ratios beside the paper's (scenario 1 of Fig. 10: \"max\", drawn at 100)")
    save(fig, out, "paper_vs_ours")


def path_series(cap, streams, t0, t1, step=0.2):
    """Downlink payload per interface in bins of `step` seconds (Mbit/s)."""
    nb = max(1, int((t1 - t0) / step) + 1)
    series = {"3g": [0.0] * nb, "wifi": [0.0] * nb}
    for r in cap.rows:
        if r["tcp.stream"] not in streams or r["tcp.srcport"] not in SERVER_PORTS:
            continue
        t = float(r["frame.time_epoch"]) - t0
        i = int(t / step)
        if 0 <= i < nb and r["frame.interface_name"] in series:
            series[r["frame.interface_name"]][i] += int(r["tcp.len"] or 0) * 8 / step / 1e6
    return [i * step for i in range(nb)], series


def all_plots(out, cap, results, summary, handover):
    from analyze import streams_in
    for m, (name, fig) in (METRIC_NAMES.items() if summary else ()):
        bars(out, summary, m, "% of packets", m, "%s (paper's %s) — mean, 95 %% CI" % (name, fig),
             PAPER[m])
    if summary:
        bars(out, summary, "goodput_mbps", "Mbit/s", "goodput", "Bulk download goodput — mean, 95 % CI")
        paper_vs_ours(out, summary)
    mp = [r for r in results if r["scenario"] in (1, 2) and r["workload"] == "bulk"]
    if mp:
        r = mp[0]
        x, ys = path_series(cap, streams_in(cap, r["t_start"], r["t_end"]), r["t_start"], r["t_end"])
        fig, ax = plt.subplots(figsize=(8, 3.5))
        for p, y in ys.items():
            ax.plot(x, y, label=p, color=PATH_COLORS[p], drawstyle="steps-post")
        ax.plot(x, [a + b for a, b in zip(ys["3g"], ys["wifi"])], label="sum", color="k",
                linestyle=":", drawstyle="steps-post")
        ax.set_xlabel("seconds since the client started")
        ax.set_ylabel("downlink payload, Mbit/s (200 ms bins)")
        ax.set_title("Per-path goodput over time: %s %s, offload=%s, rep %d" % (
            r["title"], r["workload"], r["offload"], r["rep"]))
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        save(fig, out, "paths_over_time")
    if handover:
        fig, axes = plt.subplots(len(handover), 1, figsize=(8, 2.8 * len(handover)), squeeze=False)
        for ax, h in zip(axes[:, 0], handover):
            x, ys = path_series(cap, set(h["streams"]), h["t_start"], h["t_end"])
            for p, y in ys.items():
                ax.plot(x, y, label=p, color=PATH_COLORS[p], drawstyle="steps-post")
            ax.axvline(h["t_cut"] - h["t_start"], color="k", linestyle="--", label="WiFi cut")
            ax.set_title("Handover, %s (offload=%s): %s" % (
                h["mode"], h["offload"],
                "completed, verify %s" % h["client_verify"] if h["client_rc"] == 0
                else "client exit %d" % h["client_rc"]), fontsize=9)
            ax.set_ylabel("Mbit/s")
            ax.legend(fontsize=7)
            ax.grid(alpha=0.3)
        axes[-1, 0].set_xlabel("seconds since the client started")
        save(fig, out, "handover")
