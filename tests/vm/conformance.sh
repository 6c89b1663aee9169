#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kTLS conformance: the kernel's own kTLS selftest (tools/testing/selftests/
# net/tls.c of the running kernel's series: linux-source-6.1 on 6.1,
# linux-source-6.12 on 6.12 and 6.12-rt) on TCP with the stock tls.ko, then
# on MPTCP with mptls.ko; one TAP line per test that passes on TCP (the
# target set), "ok" when it passes on MPTCP too.  See
# tests/conformance/run-ktls-selftest.
#
# Runs the QUICK subset unless QUICK=0 is given (QUICK=0 make check): about
# 120 tests (global, tls_basic, tls_err, tls.12_aes_gcm, tls.13_aes_gcm) take
# a few minutes under TCG, all ~580 take far longer than tests/run's 1500 s
# VM budget.  Each of the two passes is capped by CONFORMANCE_BUDGET seconds
# (420 quick, 1800 full) and the harness kills a single test after 30 s, so a
# test that hangs on MPTCP costs 30 s and cannot hang the suite.
. "$(dirname "$0")/lib.sh"
export QUICK=${QUICK:-1}
series=$(kernel_series)
export CONFORMANCE_SELFTEST=${CONFORMANCE_SELFTEST:-${series%-rt}}

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
