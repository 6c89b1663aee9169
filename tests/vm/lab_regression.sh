#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# vm-kernels: 6.1
#
# A short run of the lab (scripts/lab/experiment + analyze.py, test bed in
# scripts/lab/lib.sh) that asserts properties, never timings: with the key
# log tshark decrypts every data-bearing segment that is not handshake, on
# TCP and on the stitched MPTCP stream, and with a wrong key log nothing (the
# negative control); both MPTCP subflows carry TLS data (MP_CAPABLE on 3G,
# MP_JOIN on WiFi); the browser workload opens parallel connections and
# resets some; MPTCP goodput beats the best single path; the plaintext
# marker is in no capture; the WiFi handover over MPTCP completes byte for
# byte, also when WiFi carried the connection's first subflow; the
# recommended set-up (scenario 9) opens on WiFi and 3G joins without the
# backup flag.  Scenarios 1, 3, 5 and 9 (MPTCP opened on 3G, TCP over WiFi,
# TCP over 3G, MPTCP opened on WiFi), kernel offload, one repetition of the
# page, a 2M download and the browser workload, handovers of MPTCP opened on
# 3G, on WiFi, and of TCP (not the backup mode), on two
# loss-free paths of the same rate (profiles/3g-clean.conf and
# wifi-2mbit.conf): with the paper's 1 % loss on 3G and a 4:1 rate ratio, a
# short MPTCP transfer can stall behind a lost 3G segment for seconds, so
# "MPTCP beats the best path" would be luck, not a property.  `make lab`
# keeps the paper's profiles.  Prints TAP.
#
# LAB_REGRESSION_ARGS replaces the experiment options below.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# (not "out": tap_check in lib.sh has a local of that name)
lab_out=$(mktemp -d /tmp/lab-regression.XXXXXX)
trap 'rm -rf "$lab_out"' EXIT
args=${LAB_REGRESSION_ARGS:-}
[ -n "$args" ] || args='--reps 1 --scenarios "1 3 5 9" --offloads kernel --bulk 2M --objects 4k,32k'
[ -n "${LAB_REGRESSION_ARGS:-}" ] ||
	args+=' --handover kernel --handover-modes "mptcp mptcp-wifi-first tcp" --handover-bytes 2M'
[ -n "${LAB_REGRESSION_ARGS:-}" ] ||
	args+=' --profile-3g "$top/scripts/lab/profiles/3g-clean.conf"'
[ -n "${LAB_REGRESSION_ARGS:-}" ] ||
	args+=' --profile-wifi "$top/scripts/lab/profiles/wifi-2mbit.conf"'

if ! command -v dumpcap >/dev/null || ! command -v tshark >/dev/null; then
	tap_skip "lab regression" "dumpcap/tshark missing"
	tap_done
	exit $?
fi
tap_check "load mptls.ko" load_mptls
eval "set -- $args"
# A CA made on the host by an earlier `make lab` saves a slow key generation.
[ -s "$top/build/lab/pki/server.pem" ] && set -- "$@" --pki "$top/build/lab/pki"
start=$SECONDS
tap_check "lab experiment runs (scenarios, capture, handover)" \
	bash "$top/scripts/lab/experiment" "$lab_out" "$@"
echo "# lab experiment: $((SECONDS - start))s"
# --fast: no per-object HTTP timings nor downlink loss (report tables only);
# every tshark pass costs minutes under TCG on a busy host.
start=$SECONDS
tap_check "tshark analysis of the capture" /usr/bin/python3 "$top/scripts/lab/analyze.py" \
	"$lab_out" --no-plots --no-pcaps --fast
echo "# lab analysis: $((SECONDS - start))s"
# checks.json as lines "ok|FAILED<TAB>name<TAB>detail", in one Python start
# (each costs seconds under TCG), for check() below.
[ -s "$lab_out/checks.json" ] && /usr/bin/python3 -c '
import json, sys
for c in json.load(open(sys.argv[1])):
    print("ok" if c["ok"] else "FAILED", c["name"], c["detail"], sep="\t")' \
	"$lab_out/checks.json" >"$lab_out/checks.tsv"

# check NAME_PREFIX: the analysis checks whose names start with NAME_PREFIX
# all passed (and there is at least one).
check() {
	awk -F'\t' -v p="$1" 'index($2, p) == 1 { print $2, "->", $1, $3; n++; if ($1 != "ok") bad = 1 }
		END { exit (n && !bad) ? 0 : 1 }' "$lab_out/checks.tsv"
}

if [ -s "$lab_out/checks.tsv" ]; then
	tap_check "every transfer exited 0" check "every transfer exited 0"
	tap_check "every data-bearing segment is decrypted with the key log or clear handshake" \
		check "every data-bearing segment of a TLS run is decrypted or clear"
	tap_check "tshark decrypts every run with the key log" check "with the key log, tshark decrypts every"
	tap_check "tshark decrypts the stitched MPTCP stream on both subflows" \
		check "with the key log, tshark decrypts the stitched MPTCP"
	tap_check "negative control: a wrong key log decrypts nothing" check "negative control"
	tap_check "records cut short only in the browser's reset connections" check "records cut short only"
	tap_check "browser workload: parallel connections, RST and FIN" check "browser workload"
	tap_check "MP_CAPABLE on the 3G subflow" check "MP_CAPABLE SYN on the 3G"
	tap_check "MP_JOIN on the WiFi subflow" check "MP_JOIN SYN on the WiFi"
	tap_check "both subflows carry TLS data in the MPTCP bulk download" check "both subflows carry TLS"
	tap_check "MPTCP goodput exceeds the best single path" check "MPTCP bulk goodput exceeds"
	tap_check "no plaintext marker in any capture" check "the plaintext marker appears in no"
	tap_check "tshark decrypts a TCP scenario with the key log" check "with --keylog, tshark decrypts"
	tap_check "scenario 9: MP_CAPABLE on WiFi, 3G joins without the backup flag" \
		check "scenario 9: MP_CAPABLE on WiFi"
	tap_check "scenario 9: the 3G subflow joined" check "scenario 9: the 3G subflow joined"
	tap_check "handover over MPTCP completes with byte-exact data" \
		check "handover (offload=kernel, MPTCP opened on 3G"
	tap_check "handover over MPTCP opened on WiFi (its first subflow cut) completes" \
		check "handover (offload=kernel, MPTCP opened on WiFi, 3G joined, both"
	tap_check "handover over TCP on WiFi does not survive" check "handover (offload=kernel): TCP"
else
	tap_check "analysis wrote checks.json" false
fi
[ "$tap_failures" -eq 0 ] || { echo "# progress:"; sed 's/^/#   /' "$lab_out/progress.log" 2>/dev/null; }
tap_done
