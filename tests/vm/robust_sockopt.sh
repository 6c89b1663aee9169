#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The differential setsockopt fuzzer (tests/robustness/sockopt_fuzz.c): the
# same random TCP_ULP/SOL_TLS call sequences on TCP with stock tls.ko and on
# MPTCP with mptls.ko must give the same answers, in every socket state, and
# closing a socket under a thread that keeps calling must not hurt the kernel
# (the VM runner fails the run on any trace).  FUZZ_CASES sets the size.
. "$(dirname "$0")/lib.sh"
fuzzer="$top/build/robustness/sockopt_fuzz"	# built on the host: make test-programs
[ -x "$fuzzer" ] || { echo "not ok 1 - $fuzzer is missing (make test-programs)"; exit 1; }
modprobe tls
load_mptls || { echo "not ok 1 - load mptls.ko"; exit 1; }
"$fuzzer" "${FUZZ_SEED:-$RANDOM}" "${FUZZ_CASES:-2000}"
