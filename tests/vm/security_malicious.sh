#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A malicious peer's malformed records over a real connection, stock kTLS on
# TCP as the reference, blocking and poll()-driven readers
# (tests/security/malicious.sh).  Writes build/security/malicious-<kernel>.md.
. "$(dirname "$0")/lib.sh"
bash "$top/tests/security/malicious.sh"
