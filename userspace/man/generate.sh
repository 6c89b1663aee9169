#!/bin/sh
# SPDX-License-Identifier: MIT
#
# userspace/man/generate.sh TOOL OUT: writes the mptls(1) man page to OUT from
# what the built TOOL prints for --version, --help and `help COMMAND` (every
# command listed under "Commands:" in --help), through help2roff.awk. The
# CMake build runs it, so the page always says what the tool does.
# SOURCE_DATE_EPOCH, when set (Debian sets it), dates the page; otherwise it
# has no date, so that two builds of one source give the same page.
set -eu
tool=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$(dirname "$out")"
pages="$out.help"
trap 'rm -f "$pages" "$out.tmp"' EXIT

"$tool" --help >"$pages"
commands=$(awk '/^Commands:$/ { on = 1; next } on && /^$/ { exit } on && $1 != "help" { print $1 }' "$pages")
[ -n "$commands" ] || { echo "generate.sh: no commands under \"Commands:\" in $tool --help" >&2; exit 1; }
for command in $commands; do
	printf '\f\n' >>"$pages" # help2roff.awk: a new page
	"$tool" help "$command" >>"$pages"
done

version=$("$tool" --version)
date=
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
fi
awk -v version="$version" -v date="$date" -f "$here/help2roff.awk" "$pages" >"$out.tmp"
mv "$out.tmp" "$out"
