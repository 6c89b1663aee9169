#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kTLS socket options on MPTCP sockets (tests/kernel/sockopt_test.c), each
# expectation checked against stock kTLS on TCP, plus the answers mptls must
# leave to MPTCP, recorded here before the module is loaded.
. "$(dirname "$0")/lib.sh"
. "$top/tests/kernel/lib.sh"
shopt -s extglob

kt_build || { tap_done; exit 1; }
unload_mptls 2>/dev/null
stock=$(mktemp)
trap 'rm -f "$stock"' EXIT
tap_check "stock MPTCP socket options recorded without mptls" \
	sh -c "'$kt_bin/tool_stock_sockopts' > '$stock'"
load_mptls
KT_STOCK_SOCKOPTS=$stock kt_relay 600 "$kt_bin/sockopt_test"
kt_relay 600 "$kt_bin/rekey_test"
tap_done
