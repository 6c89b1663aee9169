# SPDX-License-Identifier: GPL-2.0
# Sourced.  descendants PID: the pids of PID's children, their children and
# so on, one per line (for stopping a tree whose members ignore SIGINT or sit
# in process groups of their own, as timeout(1) puts QEMU).
descendants() {
	local child
	for child in $(pgrep -P "$1"); do
		echo "$child"
		descendants "$child"
	done
}
