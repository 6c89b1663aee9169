#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The paper's attacks, run for real (tests/security/attacks.sh): eavesdropped
# MPTCP keys + off-path MP_JOIN/DSS injection, RFC 7430 ADD_ADDR hijack, and an
# MP_JOIN SYN flood, each with and without TLS.  Writes
# build/security/attacks.md.
. "$(dirname "$0")/lib.sh"
# The flood runs until the measurements end (attacks.sh stops it): a fixed
# length here once ended it before a loaded guest had measured.
bash "$top/tests/security/attacks.sh"
