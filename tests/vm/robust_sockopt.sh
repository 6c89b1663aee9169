#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The differential setsockopt fuzzer (tests/robustness/sockopt_fuzz.c): the
# same random TCP_ULP/SOL_TLS call sequences on TCP with stock tls.ko and on
# MPTCP with mptls.ko must give the same answers, in every socket state, and
# closing a socket under a thread that keeps calling must not hurt the kernel
# (the VM runner fails the run on any trace).  FUZZ_CASES sets the size.
. "$(dirname "$0")/lib.sh"
out="$top/build/robustness"
mkdir -p "$out"
if ! gcc -O2 -Wall -pthread -o "$out/sockopt_fuzz" "$top/tests/robustness/sockopt_fuzz.c"; then
	echo "not ok 1 - sockopt_fuzz builds"
	exit 1
fi
modprobe tls
load_mptls || { echo "not ok 1 - load mptls.ko"; exit 1; }
"$out/sockopt_fuzz" "${FUZZ_SEED:-$RANDOM}" "${FUZZ_CASES:-2000}"
