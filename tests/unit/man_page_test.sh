#!/bin/sh
# SPDX-License-Identifier: MIT
#
# man_page_test.sh TOOL PAGE CMAKE BUILD_DIR: checks the generated mptls(1)
# page (userspace/man/generate.sh) against the tool it was made from:
#   - it is what generate.sh makes from this TOOL now (not a stale copy);
#   - its title line carries `TOOL --version`;
#   - every option and command of the help is in it;
#   - groff reads it without a warning;
#   - `cmake --install` puts it at share/man/man1/mptls.1.
# Prints TAP; exits 1 when a check fails.
set -u
tool=$1
page=$2
cmake=$3
build=$4
here=$(cd "$(dirname "$0")" && pwd)
generate="$here/../../userspace/man/generate.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

check() {
	n=$((n + 1))
	name=$1
	shift
	if "$@" >"$tmp/log" 2>&1; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		sed 's/^/# /' "$tmp/log"
		failed=1
	fi
}

same_as_generated_now() {
	sh "$generate" "$tool" "$tmp/fresh.1" && cmp "$page" "$tmp/fresh.1"
}

title_has_version() {
	version=$("$tool" --version) || return 1
	grep -q "^\.TH MPTLS 1 \"[^\"]*\" \"$version\" " "$page"
}

# Every "-x, --name" and "--name" entry of every help page, as roff spells
# it (\-x, \-\-name), and a section for every command.
lists_every_option_and_command() {
	{
		"$tool" --help
		for c in server client gen-ca; do "$tool" help "$c"; done
	} >"$tmp/help" || return 1
	sed -n 's/^  \(-[a-zA-Z]\), \(--[a-z-]*\).*/\1\n\2/p; s/^      \(--[a-z-]*\).*/\1/p' "$tmp/help" |
		sort -u >"$tmp/options"
	[ "$(wc -l <"$tmp/options")" -ge 20 ] || { echo "too few options in the help:"; cat "$tmp/options"; return 1; }
	missing=0
	while read -r option; do
		grep -qF "\\fB$(printf '%s' "$option" | sed 's/-/\\-/g')\\fR" "$page" ||
			{ echo "missing: $option"; missing=1; }
	done <"$tmp/options"
	for c in SERVER CLIENT GEN-CA; do
		grep -qxF ".SH \"MPTLS $c\"" "$page" || { echo "no section for $c"; missing=1; }
	done
	[ "$missing" = 0 ]
}

groff_reads_it_cleanly() {
	groff -man -ww -z -Tutf8 "$page" 2>"$tmp/groff.err" || return 1
	[ ! -s "$tmp/groff.err" ] || { cat "$tmp/groff.err"; return 1; }
}

installed_as_man1() {
	"$cmake" --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; return 1; }
	cmp "$page" "$tmp/prefix/share/man/man1/mptls.1"
}

echo "TAP version 13"
check "the page is what generate.sh makes from the tool now" same_as_generated_now
check "the title line carries mptls --version" title_has_version
check "every option and command of the help is in the page" lists_every_option_and_command
check "groff reads the page without a warning" groff_reads_it_cleanly
check "cmake --install puts it at share/man/man1/mptls.1" installed_as_man1
echo "1..$n"
exit $failed
