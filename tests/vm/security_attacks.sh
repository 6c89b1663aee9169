#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The paper's attacks, run for real (tests/security/attacks.sh): eavesdropped
# MPTCP keys + off-path MP_JOIN/DSS injection, RFC 7430 ADD_ADDR hijack, and an
# MP_JOIN SYN flood, each with and without TLS.  Writes
# build/security/attacks.md.
. "$(dirname "$0")/lib.sh"
MPTLS_SECURITY_FLOOD_SECONDS=${MPTLS_SECURITY_FLOOD_SECONDS:-20} \
	bash "$top/tests/security/attacks.sh"
