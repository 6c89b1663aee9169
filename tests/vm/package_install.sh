#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# vm-kernels: none (make check-packages runs it, tests/check-packages)
#
# The Debian packages of `make deb`, installed as an operator installs them:
#   dpkg -i mptls-dkms + mptls   DKMS builds mptls.ko against this guest's
#                                kernel headers, in the package's postinst
#   modprobe mptls               from /lib/modules/<release>/updates/dkms,
#                                signed with DKMS's own key (the Secure Boot
#                                MOK path; modinfo shows the signer)
#   /usr/bin/mptls               as installed, moves a file over MPTCP with
#                                the record layer in the kernel, both ways
#   nginx                        an operator's nginx (ssl_conf_command Options
#                                KTLS, sendfile on) under mptcpize: OpenSSL
#                                hands its keys to the packaged module, and
#                                curl over MPTCP gets the file byte-exact
#   a kernel upgrade             headers of another kernel appear and
#                                /etc/kernel/header_postinst.d/dkms (what
#                                linux-headers-<release>'s postinst runs)
#                                builds mptls.ko for it (on 6.12 only, where
#                                the "new" kernel is 6.12-rt, whose headers
#                                setup installs: one more build in the guest;
#                                MPTLS_PKG_UPGRADE_TO=RELEASE picks another)
#   dpkg --purge                 unloads the module, removes it and the tool
#
# The guest's root is a tmpfs overlay on the host's, so dpkg and DKMS write
# nowhere on the host.  Two things the VM runner set up differently from a
# real host are put right first: /lib/modules/<release> is the unpacked
# image bound from build/kernels/ (writable, on the host), so it gets a tmpfs
# overlay of its own plus the `build` link that linux-headers-<release>
# creates; /boot and /lib/modules show only this kernel, so that DKMS builds
# for the running kernel alone (its postinst also builds for the newest
# kernel in /boot).  Prints TAP.
#
# `make check-packages` (tests/check-packages) runs it on every kernel, not
# make check: DKMS compiles in the guest, which under TCG took 519 s (6.1)
# to 1476 s (6.12-rt) with two guests sharing the host.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$top/scripts/lib/nginx.sh"

release=$(uname -r)
deb_dir=$top/build/deb
work=$(mktemp -d /tmp/mptls-pkg.XXXXXX)
modules_lower=$work/modules-lower
other=${MPTLS_PKG_UPGRADE_TO:-}
if [ -z "$other" ] && [ "$(kernel_series)" = 6.12 ]; then
	other=$(cat "$top/build/kernels/6.12-rt.release" 2>/dev/null)
fi
pids=()
# What an operator would see, shown on success too (tap_check keeps a
# command's output only for a failure): "# " lines on fd 3.
exec 3>&1
show() { sed 's/^/#   /' >&3; }

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	dpkg --purge mptls mptls-dkms > /dev/null 2>&1
	# the VM runner's view back: the unpacked image at /lib/modules/<release>
	umount "/lib/modules/$release" 2>/dev/null
	umount /lib/modules /boot 2>/dev/null
	if mountpoint -q "$modules_lower"; then
		mount --bind "$modules_lower" "/lib/modules/$release" && umount "$modules_lower"
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# show_this_kernel_only: the host state a one-kernel machine has (see above).
show_this_kernel_only() {
	mkdir -p "$modules_lower" "$work/up" "$work/wk" "$work/boot" &&
	mount --bind "/lib/modules/$release" "$modules_lower" &&
	umount "/lib/modules/$release" &&
	mount -t tmpfs -o mode=0755 modules /lib/modules &&
	mkdir "/lib/modules/$release" &&
	mount -t overlay -o "lowerdir=$modules_lower,upperdir=$work/up,workdir=$work/wk" \
		overlay "/lib/modules/$release" &&
	ln -s "/usr/src/linux-headers-$release" "/lib/modules/$release/build" &&
	cp "$top/build/kernels/$release/root/boot/config-$release" \
		"$top/build/kernels/$release/root/boot/System.map-$release" "$work/boot/" &&
	mount --bind "$work/boot" /boot &&
	[ -e "/lib/modules/$release/build/Makefile" ]
}

install_packages() {
	local start=$SECONDS
	ls "$deb_dir"/mptls-dkms_*_all.deb "$deb_dir"/mptls_*_amd64.deb || return 1
	# as apt runs dpkg on a server without a terminal; and no man-db index
	# rebuild, which over the guest's 9p root takes minutes
	rm -f /var/lib/man-db/auto-update
	DEBIAN_FRONTEND=noninteractive dpkg -i "$deb_dir"/mptls-dkms_*_all.deb \
		"$deb_dir"/mptls_*_amd64.deb 2>&1 | tail -n 25
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	echo "dpkg -i, with DKMS's build in the guest: $((SECONDS - start)) s" | show
	touch "$work/installed"

	dpkg-query -W -f '${Package} ${Version} ${Status}\n' mptls-dkms mptls
}

dkms_built_for() {	# RELEASE: the installed module exists and was built for RELEASE
	local ko
	dkms status mptls | show
	dkms status mptls -k "$1" | grep -q ': installed' || return 1
	ko=$(modinfo -k "$1" -n mptls) || return 1
	echo "$ko"
	[[ $ko == /lib/modules/$1/updates/dkms/mptls.ko* ]] &&
	[ "$(modinfo -k "$1" -F vermagic mptls | cut -d' ' -f1)" = "$1" ]
}

modprobe_installed() {
	unload_mptls && modprobe mptls && module_loaded &&
	grep -q . /proc/net/mptls_stat
}

# The signature modinfo reads is the one DKMS added with its MOK key, the
# same certificate an operator enrolls with mokutil --import.
signed_by_dkms_key() {
	local signer
	signer=$(modinfo -F signer mptls)
	echo "modinfo -F signer mptls: ${signer:-none}; /var/lib/dkms/mok.pub: $(openssl x509 -inform DER \
		-in /var/lib/dkms/mok.pub -noout -subject 2>&1)" | show
	[ -n "$signer" ] &&
	openssl x509 -inform DER -in /var/lib/dkms/mok.pub -noout -subject | grep -qF "$signer"
}


# The installed tool, kernel records both ways, over MPTCP: the client checks
# the body's digest, the server and the client both report kernel offload.
installed_tool_transfer() {
	local tool=/usr/bin/mptls port=$((20000 + RANDOM % 1000)) out before after
	[ -x "$tool" ] || return 1
	"$tool" gen-ca "$work/pki" > /dev/null || return 1
	mkdir -p "$work/www" && head -c 2000000 /dev/urandom > "$work/www/blob.bin"
	before=$(awk '$1 == "TlsTxSw" || $1 == "TlsRxSw" { n += $2 } END { print n + 0 }' /proc/net/mptls_stat)
	"$tool" server --listen "127.0.0.1:$port" --cert "$work/pki/server.pem" --key "$work/pki/server.key" \
		--offload kernel --http-root "$work/www" --count 1 --json > "$work/server.json" 2>&1 &
	pids+=($!)
	wait_port "$port" || return 1
	out=$("$tool" client --connect "127.0.0.1:$port" --servername localhost --ca "$work/pki/ca.pem" \
		--offload kernel --get /blob.bin --check-data --json) || { echo "$out"; return 1; }
	wait "${pids[-1]}"
	echo "$out"
	after=$(awk '$1 == "TlsTxSw" || $1 == "TlsRxSw" { n += $2 } END { print n + 0 }' /proc/net/mptls_stat)
	echo "TX + RX keys installed (TlsTxSw + TlsRxSw): $before -> $after" | show
	grep -q "\"sha256\":\"$(sha256sum "$work/www/blob.bin" | cut -d' ' -f1)\"" <<<"$out" &&
	grep -q '"offload":{"tx":"kernel","rx":"kernel"}' <<<"$out" &&
	grep -q '"offload":{"tx":"kernel","rx":"kernel"}' "$work/server.json" &&
	grep -q '"mptcp_socket":true' <<<"$out" &&
	[ "$after" -ge $((before + 4)) ]
}

# What README's "Install on a server" tells an operator to do with nginx
# (scripts/lib/nginx.sh): OpenSSL's own kTLS (SSL_OP_ENABLE_KTLS) on an MPTCP
# socket, which works only through mptls.  Proof that the kernel seals
# nginx's records: the module's TX key count goes up by one per connection.
nginx_ktls() {
	local port=$((21000 + RANDOM % 1000)) v before after got want ok=0
	nginx_conf "$work/nginx" "127.0.0.1:$port" "$work/www" "$work/pki" ktls &&
	nginx_start "$work/nginx" mptcpize run || return 1
	pids+=("$nginx_pid")
	want=$(sha256sum "$work/www/blob.bin" | cut -d' ' -f1)
	for v in 1.2 1.3; do
		before=$(awk '$1 == "TlsTxSw" { print $2 }' /proc/net/mptls_stat)
		# shellcheck disable=SC2046
		mptcpize run curl -sS $(curl_tls_args "$v") --cacert "$work/pki/ca.pem" \
			--resolve "localhost:$port:127.0.0.1" "https://localhost:$port/blob.bin" \
			-o "$work/nginx-got.bin" || { ok=1; break; }
		after=$(awk '$1 == "TlsTxSw" { print $2 }' /proc/net/mptls_stat)
		got=$(sha256sum "$work/nginx-got.bin" | cut -d' ' -f1)
		echo "curl TLS $v: sha256 ${got:0:16}..., TlsTxSw $before -> $after" | show
		[ "$got" = "$want" ] && [ "$after" -gt "$before" ] || { ok=1; break; }
	done
	show < /proc/net/mptls_stat
	# (pids, set in tap_check's subshell, does not reach cleanup)
	nginx_stop "$work/nginx" && return "$ok"
}

# A kernel upgrade: the new kernel's headers arrive, and their postinst runs
# DKMS's hook, which builds mptls for that kernel.  The new kernel here is
# another one whose headers setup installed (not booted).
upgrade_rebuilds() {
	[ -d "/usr/src/linux-headers-$other" ] || { echo "no headers for $other"; return 1; }
	mkdir -p "/lib/modules/$other" &&
	ln -sfn "/usr/src/linux-headers-$other" "/lib/modules/$other/build" &&
	local start=$SECONDS
	cp "$top/build/kernels/$other/root/boot/config-$other" /boot/ &&
	/etc/kernel/header_postinst.d/dkms "$other" 2>&1 | tail -n 15 &&
	dkms_built_for "$other" &&
	echo "DKMS's build for $other: $((SECONDS - start)) s" | show
}

removed() {
	# (a removal proves nothing when the install failed)
	[ -e "$work/installed" ] || { echo "nothing was installed"; return 1; }
	DEBIAN_FRONTEND=noninteractive dpkg --purge mptls mptls-dkms 2>&1 | tail -n 15
	! module_loaded && [ ! -e /usr/bin/mptls ] && [ ! -d /var/lib/dkms/mptls ] &&
	! find "/lib/modules/$release" -name 'mptls.ko*' | grep . &&
	! dpkg-query -W mptls mptls-dkms 2>/dev/null | grep .
}

unload_mptls
tap_check "the guest shows one kernel, with its headers, as a real host does" show_this_kernel_only
tap_check "dpkg -i mptls-dkms mptls: DKMS builds in postinst" install_packages
tap_check "DKMS installed mptls.ko for $release" dkms_built_for "$release"
tap_check "modprobe mptls loads the packaged module" modprobe_installed
tap_check "the packaged module is signed with DKMS's MOK key" signed_by_dkms_key
tap_check "the installed mptls tool moves a file over MPTCP with kernel records both ways" installed_tool_transfer
tap_check "nginx with ssl_conf_command Options KTLS under mptcpize: kernel TLS through the packaged module" nginx_ktls
if [ -n "$other" ]; then
	tap_check "a new kernel's headers ($other): DKMS builds mptls.ko for it" upgrade_rebuilds
fi
tap_check "dpkg --purge unloads and removes the module and the tool" removed
tap_done
