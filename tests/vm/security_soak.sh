#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The short soak of make check: 200 concurrent TLS-over-MPTCP connections,
# subflows added and removed, links flapping, netem loss bursts, one round of
# connections; scripts/soak runs the long one (tests/security/soak.sh).
. "$(dirname "$0")/lib.sh"
MPTLS_SOAK_SECONDS=${MPTLS_SOAK_SECONDS:-1} bash "$top/tests/security/soak.sh"
