#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kTLS conformance: the kernel's own kTLS selftest (tools/testing/selftests/
# net/tls.c of linux-source-6.1) on TCP with the stock tls.ko, then on MPTCP
# with mptls.ko; one TAP line per test that passes on TCP (the target set),
# "ok" when it passes on MPTCP too.  See tests/conformance/run-ktls-selftest.
#
# QUICK=1 runs a representative subset (~120 tests, ~3 min under TCG instead
# of ~10); each of the two passes is capped by CONFORMANCE_BUDGET seconds
# (600, 240 with QUICK) and the harness kills a single test after 30 s, so a
# test that hangs on MPTCP costs 30 s and cannot hang the suite.
. "$(dirname "$0")/lib.sh"

runner="$top/tests/conformance/run-ktls-selftest"
tap_log=$(mktemp /tmp/conformance.XXXXXX)
bash "$runner" | tee "$tap_log"
rc=${PIPESTATUS[0]}
# A runner that died before its TAP lines must not pass for an empty success.
if [ "$rc" -ne 0 ] && ! grep -qE '^not ok [0-9]+' "$tap_log"; then
	echo "not ok 1 - conformance: tests/conformance/run-ktls-selftest exited with status $rc"
fi
rm -f "$tap_log"
exit "$rc"
