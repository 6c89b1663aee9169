#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fail closed (kernel/methods.c): no method of the tables a TLS socket runs
# on may move data past the record layer.  Reads the installed tables from
# /sys/kernel/debug/mptls/methods ("PROTO SLOT KIND FUNCTION" per line) and
# checks every data-path slot against what it may hold, independently of
# the module's own classification.
. "$(dirname "$0")/lib.sh"

methods=/sys/kernel/debug/mptls/methods

# What a slot may hold: ours (mptls_*), the socket layer's generic methods
# that call sk_prot->sendmsg/recvmsg, a sock_no_* refusal, or nothing.
allowed_function() {
	case "$1" in
	mptls_*|inet_sendmsg|inet6_sendmsg|inet_recvmsg|inet6_recvmsg|inet_sendpage|sock_no_*|0x0) return 0 ;;
	*) return 1 ;;
	esac
}

# Slots that move data, by name, whatever the module calls them.
data_slot() {
	case "$1" in
	proto_ops.sendmsg|proto_ops.recvmsg|proto_ops.sendpage|proto_ops.sendpage_locked|\
	proto_ops.sendmsg_locked|proto_ops.splice_read|proto_ops.splice_eof|proto_ops.read_sock|\
	proto_ops.read_skb|proto_ops.peek_len|proto_ops.set_peek_off|proto_ops.mmap|proto_ops.poll|\
	proto.sendmsg|proto.recvmsg|proto.sendpage|proto.splice_eof|proto.sock_is_readable|\
	proto.psock_update_sk_prot) return 0 ;;
	*) return 1 ;;
	esac
}

check_tables() {
	local proto slot kind fn bad=0 seen=0
	[ -r "$methods" ] || { echo "$methods missing"; return 1; }
	while read -r proto slot kind fn _; do
		data_slot "$slot" || continue
		seen=$((seen + 1))
		if ! allowed_function "$fn"; then
			echo "$proto $slot holds $fn ($kind): data could bypass TLS"
			bad=1
		fi
		case "$kind" in
		ours) [[ $fn == mptls_* ]] || { echo "$proto $slot is ours but holds $fn"; bad=1; } ;;
		refused) [ "$fn" = 0x0 ] || { echo "$proto $slot is refused but holds $fn"; bad=1; } ;;
		esac
	done < "$methods"
	# sendmsg, recvmsg, poll, splice_read at least, for each protocol
	[ "$seen" -ge 8 ] || { echo "only $seen data-path slots listed"; bad=1; }
	return $bad
}

# Every proto_ops slot MPTCP fills must be one the module knows: its
# listing has no gaps (the load-time walk refuses unknown ones).
mptcp_slots_named() {
	grep -c '^MPTCP proto_ops\.' "$methods" | awk '{ exit !($1 >= 20) }'
}

load_mptls
tap_check "installed tables: every data-path slot is ours, generic or empty" check_tables
tap_check "the methods listing covers MPTCP's proto_ops" mptcp_slots_named
tap_check "both address families are wrapped" \
	sh -c "grep -q '^MPTCP ' $methods && grep -q '^MPTCPv6 ' $methods"
tap_done
