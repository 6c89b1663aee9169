#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# vm-kernels: 6.1
#
# `make bench QUICK=1` inside the VM: every section of the benchmark runs with
# tiny sizes and the report produces every column of the table and the plots.
# It proves the harness works; no timing is ever judged here.  The nginx
# section's checks are real even so (byte-exact downloads, the kernel sealing
# where KTLS is on).  (The profile section is not in QUICK's: perf is slow to
# start under TCG.)  Also checks
# that the OpenSSL contestant's records are real TLS: they open in kTLS and
# kTLS's open in it, on MPTCP (mptls.ko) and on TCP (tls.ko).  Prints TAP.
. "$(dirname "$0")/lib.sh"

bench=$top/build/bench/mptls_bench
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3
out=$(mktemp -d /tmp/bench-quick.XXXXXX)
trap 'rm -rf "$out"' EXIT

load_mptls
tap_check "the benchmark program builds" make -s -C "$top/tests/bench"
for proto in mptcp tcp; do
	for v in 1.2 1.3; do
		for c in aes128gcm chacha20; do
			tap_check "$proto TLS $v $c: OpenSSL records open in kTLS, kTLS records in OpenSSL" \
				sh -c "'$bench' bulk --proto $proto --version $v --cipher $c --tls-tx user --tls-rx kernel --bytes 300k --write-size 5000 --verify --timeout 60 &&
				       '$bench' bulk --proto $proto --version $v --cipher $c --tls-tx kernel --tls-rx user --bytes 300k --write-size 5000 --more --verify --timeout 60"
		done
	done
done
tap_check "make bench QUICK=1: every section runs" \
	sh -c "QUICK=1 '$top/scripts/bench/guest' '$out/run' 2> '$out/guest.err' ||
	       { tail -n 30 '$out/guest.err'; exit 1; }"
# where the time goes (the guest says it per section)
sed -n 's/^bench: section \([a-z]*\): \([0-9]*s\)$/# section \1: \2/p' "$out/guest.err"
tap_check "the report fills every column" "$python" "$top/scripts/bench/report" "$out/run" --check
for f in table.md summary.json; do
	tap_check "the report writes $f" test -s "$out/run/$f"
done
if "$python" -c 'import matplotlib' 2>/dev/null; then
	for f in cpu_ratios.png cost_record_size.png conns.png; do
		tap_check "the report plots $f" test -s "$out/run/$f"
	done
else
	tap_skip "the report plots" "no matplotlib"
fi
tap_done
