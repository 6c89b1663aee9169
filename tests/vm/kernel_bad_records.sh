#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Crafted and corrupted records on the raw stream in front of a TLS_RX
# receiver (tests/kernel/bad_records_test.c), stock kTLS on TCP as reference.
. "$(dirname "$0")/lib.sh"
. "$top/tests/kernel/lib.sh"

kt_build || { tap_done; exit 1; }
load_mptls
kt_relay 600 "$kt_bin/bad_records_test"
tap_done
