#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two threads on one kTLS socket and connections that stall: shutdown, close,
# exit, signals, MSG_DONTWAIT and poll beside a blocked send()/recv(), no task
# stuck in state D, records of type 0, and a peeking reader's memory
# (tests/kernel/concurrency_test.c, rx_memory_test.c).  Every scenario runs on
# TCP with stock tls.ko (the reference) and on MPTCP with mptls.  Two
# variants, TLS 1.2 and 1.3 (KT_VARIANTS overrides).
. "$(dirname "$0")/lib.sh"
. "$top/tests/kernel/lib.sh"

export KT_VARIANTS=${KT_VARIANTS:-"tls12_aes128gcm tls13_aes256gcm"}
kt_build || { tap_done; exit 1; }
load_mptls
kt_relay 600 "$kt_bin/concurrency_test"
kt_relay 300 "$kt_bin/rx_memory_test"
tap_done
