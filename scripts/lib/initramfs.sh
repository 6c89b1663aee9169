# SPDX-License-Identifier: GPL-2.0
# Builds the VM's tiny initramfs: static busybox, the few modules needed to
# mount the host's root over 9p with an overlay, and scripts/vm-guest/init.
# Sourced by scripts/vm, not run.

# Modules stage 1 needs before the real root exists, in dependency order.
# virtio_pci is built in on 6.12 and a module on 6.1; modprobe tells which.
INITRAMFS_MODULES="virtio_pci 9pnet_virtio 9p overlay"

# build_initramfs RELEASE OUT: writes OUT (a gzip'd cpio) unless it is newer
# than everything it is made of.
build_initramfs() {
	local release=$1 out=$2 root work m path n=0
	root=$(kernel_dir "$release")/root
	if [ -f "$out" ] && [ "$out" -nt "$top/scripts/vm-guest/init" ] &&
		[ "$out" -nt "$top/scripts/lib/initramfs.sh" ]; then
		return 0
	fi
	work=$(mktemp -d)
	mkdir -p "$work"/{bin,dev,proc,sys,modules,lower,upper,newroot}
	cp /bin/busybox "$work/bin/busybox"
	ln -s busybox "$work/bin/sh"
	cp "$top/scripts/vm-guest/init" "$work/init"
	chmod +x "$work/init"
	for m in $INITRAMFS_MODULES; do
		modprobe -d "$root" -S "$release" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r path; do
		n=$((n + 1))
		# busybox insmod cannot read .ko.xz; the kernel's own decompressor is
		# not configured everywhere, so unpack here.
		case "$path" in
		*.xz) xz -dc "$path" > "$work/modules/$(printf %02d $n)-$(basename "${path%.xz}")" ;;
		*.zst) zstd -qdc "$path" > "$work/modules/$(printf %02d $n)-$(basename "${path%.zst}")" ;;
		*) cp "$path" "$work/modules/$(printf %02d $n)-$(basename "$path")" ;;
		esac
	done
	mkdir -p "$(dirname "$out")"
	(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
	mv "$out.tmp" "$out"
	rm -rf "$work"
}
