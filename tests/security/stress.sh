#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The long concurrency stress for make soak: tests/vm/kernel_stress.sh (threads
# racing I/O, shutdown, close, resets, options, splice, sendfile and signals
# on shared kTLS-over-MPTCP sockets under subflow churn), run for
# MPTLS_STRESS_SECONDS, by default as long as the soak (MPTLS_SOAK_SECONDS,
# else 480 s).  Runs in the VM with mptls loaded; TAP on stdout.  The seed is
# printed first; MPTLS_STRESS_SEED replays it.
here=$(cd "$(dirname "$0")" && pwd)
MPTLS_STRESS_SECONDS=${MPTLS_STRESS_SECONDS:-${MPTLS_SOAK_SECONDS:-480}} \
	exec bash "$here/../vm/kernel_stress.sh"
