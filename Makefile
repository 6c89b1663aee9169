# SPDX-License-Identifier: GPL-2.0
#
# mptls: kernel TLS for Multipath TCP.  The two commands a newcomer needs:
#   make lab     the main job: build, boot the VM, run the lab
#   make check   every test
# and the one that packages it for servers (debian/, scripts/deb):
#   make deb     the Debian packages mptls-dkms and mptls of HEAD, in build/deb/
# All three install what they need first (scripts/setup).  KVER=6.1 (default) or
# KVER=6.12 (or 6.12-rt) picks the stock Debian kernel for the single-kernel targets.

KVER ?= 6.1
# The kernels the VM boots, and 6.12-cloud, which it cannot (no 9p) but the
# module must still build for.
VM_KERNELS := 6.1 6.12 6.12-rt
KERNELS := $(VM_KERNELS) 6.12-cloud
BUILD := $(CURDIR)/build

.PHONY: all setup module modules module-debug warn-test-module test-programs userspace \
	check unit-test vm-test lab bench soak dkms-install install clean help check-debug check-packages deb

all: modules userspace

help:
	@sed -n 's/^#   //p' Makefile

setup:
	@scripts/setup

# mptls.ko for one kernel: build/<kernel-release>/mptls.ko
module:
	@scripts/kbuild $(KVER) . $(BUILD)

module-debug:
	@W=1 scripts/kbuild $(KVER) . $(BUILD)

modules:
	@for k in $(KERNELS); do scripts/kbuild $$k . $(BUILD) || exit 1; done

# The deliberately bad module for the VM runner's self-test.
warn-test-module:
	@for k in $(VM_KERNELS); do scripts/kbuild $$k tests/kmod-warn $(BUILD) || exit 1; done

userspace:
	@cmake -S userspace -B $(BUILD)/userspace -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD)/userspace -j2

# Test programs are built on the host: compiling inside the TCG guest is slow.
test-programs:
	@tests/conformance/build >/dev/null
	@CONFORMANCE_SELFTEST=6.12 tests/conformance/build >/dev/null
	@$(MAKE) -s -C tests/kernel
	@$(MAKE) -s -C tests/bench
	@mkdir -p $(BUILD)/robustness
	@gcc -O2 -Wall -pthread -Itests/include -o $(BUILD)/robustness/sockopt_fuzz tests/robustness/sockopt_fuzz.c

check: setup
	@$(MAKE) -s all warn-test-module test-programs
	@tests/run

# The kernel suites under a lockdep/KASAN/kmemleak kernel built here from
# linux-source-6.12, once (tests/check-debug).  Not part of check: slow.
check-debug: setup
	@$(MAKE) -s test-programs
	@tests/check-debug

# The Debian packages installed, loaded and used in a guest of every kernel
# (tests/check-packages; not in make check: DKMS compiles in the guest).
check-packages: setup
	@tests/check-packages

lab: setup
	@$(MAKE) -s all
	@scripts/lab/run $(LAB_ARGS)

# Ratios measured side by side in the VM; QUICK=1 for a smoke run.
bench: setup
	@$(MAKE) -s all
	@scripts/bench/run $(BENCH_ARGS)

# The long soak (8 min in the VM): scripts/soak [--kernel 6.12] [SECONDS].
soak: setup
	@$(MAKE) -s all
	@scripts/soak $(SOAK_ARGS)

# The Debian packages, built with dpkg-buildpackage from a git archive of HEAD.
deb: setup
	@scripts/deb

# Builds and installs for the running kernel on a real machine.
dkms-install:
	dkms install "$(CURDIR)"

install:
	$(MAKE) -C /lib/modules/$$(uname -r)/build M=$(CURDIR) modules_install

clean:
	rm -rf $(BUILD)
