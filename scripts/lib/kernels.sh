# SPDX-License-Identifier: GPL-2.0
# Names of the stock Debian kernels mptls targets, shared by setup, the VM
# runner and the Makefile.  Sourced, not run.

# 6.12-rt is Debian's PREEMPT_RT flavour of 6.12 (spinlocks sleep, softirqs
# run in threads): the hardest test of our locking, so its kernel suites run
# in make check.  6.12-cloud is what cloud images boot; setup fetches it and
# tests/packages/kernel_configs checks that its config has what mptls needs.
SUPPORTED_KERNELS="6.1 6.12 6.12-rt"
EXTRA_KERNELS="6.12-cloud"

# The meta package that tracks each series.  Debian bumps the ABI number behind
# it (6.1.0-N, 6.12.X+deb12), so we resolve it at run time and never hard-code N.
kernel_meta_package() {
	case "$1" in
	6.1) echo linux-image-amd64 ;;
	6.12) echo linux-image-6.12-amd64 ;;
	6.12-rt) echo linux-image-6.12-rt-amd64 ;;
	6.12-cloud) echo linux-image-6.12-cloud-amd64 ;;
	# A debug series (6.12-debug) has no package: scripts/debug-kernel
	# builds it from linux-source and pins its release as setup does.
	*-debug) echo "kernel $1 is built here: run scripts/debug-kernel ${1%-debug} (make check-debug)" >&2; return 1 ;;
	*) echo "unknown kernel series '$1' (supported: $SUPPORTED_KERNELS $EXTRA_KERNELS)" >&2; return 1 ;;
	esac
}

# Prints the kernel release (e.g. 6.1.0-56-amd64) behind a series.  Once setup
# has run, the answer is pinned in build/kernels/<series>.release so that every
# later step uses the kernel that was actually unpacked.
resolve_kernel_release() {
	local series=$1 pinned meta release
	pinned="${top:?}/build/kernels/$series.release"
	if [ "${2:-}" != fresh ] && [ -s "$pinned" ]; then
		cat "$pinned"
		return 0
	fi
	meta=$(kernel_meta_package "$series") || return 1
	release=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([^ ]*-amd64\)$/\1/p' | head -n1)
	if [ -z "$release" ]; then
		echo "cannot resolve $meta: run scripts/setup (it runs apt-get update)" >&2
		return 1
	fi
	echo "$release"
}

kernel_dir() { echo "$top/build/kernels/$1"; }

# The tree an out-of-tree module builds against: the debug kernel's own build
# tree (scripts/debug-kernel) when there is one, else Debian's headers.
kernel_build_dir() {
	if [ -f "$(kernel_dir "$1")/obj/Module.symvers" ]; then
		echo "$(kernel_dir "$1")/obj"
	else
		echo "/usr/src/linux-headers-$1"
	fi
}
