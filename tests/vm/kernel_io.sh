#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Non-blocking I/O with edge-triggered epoll, sendfile, buffers given back
# by quiet connections, and which path copies what, on kTLS MPTCP sockets
# (tests/kernel/epoll_test.c, sendfile_test.c, idle_test.c, copies_test.c).
. "$(dirname "$0")/lib.sh"
. "$top/tests/kernel/lib.sh"

kt_build || { tap_done; exit 1; }
load_mptls
kt_relay 900 "$kt_bin/epoll_test"
kt_relay 900 "$kt_bin/sendfile_test"
kt_relay 300 "$kt_bin/idle_test"
kt_relay 600 "$kt_bin/copies_test"
tap_done
