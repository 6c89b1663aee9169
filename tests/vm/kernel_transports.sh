#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kTLS on MPTCP over fallback-to-TCP, IPv6 and IPv4-mapped connections, and
# stock kTLS on TCP side by side (tests/kernel/transports_test.c).
. "$(dirname "$0")/lib.sh"
. "$top/tests/kernel/lib.sh"

kt_build || { tap_done; exit 1; }
load_mptls
kt_relay 900 "$kt_bin/transports_test"
tap_done
