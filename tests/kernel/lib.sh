# SPDX-License-Identifier: MIT
# Shell helpers for tests/vm/kernel_*.sh (sourced after tests/vm/lib.sh):
# building the C tests and passing their TAP through lib.sh's numbering.

kt_bin="$top/build/kernel-tests"

# kt_build: compiles tests/kernel (a no-op when the host already did).  One
# TAP line, so a build failure shows as a failure and not as silence.
kt_build() {
	tap_check "build tests/kernel" make -s -C "$top/tests/kernel"
	[ -x "$kt_bin/sockopt_test" ]
}

# kt_relay TIMEOUT CMD...: runs a harness binary and re-emits its TAP lines
# under our own numbering (one plan per script); comments pass through.  A
# binary that exits non-zero without a "not ok" line (a crash, the timeout)
# adds one failure of its own.
kt_relay() {
	local limit=$1 line rc out failed=0
	shift
	out=$(mktemp)
	timeout -k 5 "$limit" "$@" > "$out" 2>&1
	rc=$?
	while IFS= read -r line; do
		if [[ $line =~ ^ok\ [0-9]+\ (.*)$ ]]; then
			tap_n=$((tap_n + 1))
			echo "ok $tap_n ${BASH_REMATCH[1]}"
		elif [[ $line =~ ^not\ ok\ [0-9]+\ (.*)$ ]]; then
			tap_n=$((tap_n + 1))
			tap_failures=$((tap_failures + 1))
			failed=1
			echo "not ok $tap_n ${BASH_REMATCH[1]}"
		elif ! [[ $line =~ ^1\.\.[0-9]+$ ]]; then
			echo "$line"
		fi
	done < "$out"
	rm -f "$out"
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		tap_n=$((tap_n + 1))
		tap_failures=$((tap_failures + 1))
		echo "not ok $tap_n - $(basename "$1") exited with status $rc$([ "$rc" -eq 124 ] && echo " (timeout ${limit}s)")"
	fi
}
