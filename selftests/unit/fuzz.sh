#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh - run libFuzzer targets from their committed corpora, one TAP
# test each (selftests/lib/kpm.sh), within $FUZZ_SECONDS (default 20) in
# all: each target gets an equal share, at least 1 s.
#
#   sh fuzz.sh FUZZER CORPUS_DIR [FUZZER CORPUS_DIR]...
#
# New inputs go to a scratch directory, never into a committed corpus;
# a crash fails its test and leaves its input in the scratch directory.
. "$(dirname "$0")/../lib/kpm.sh"

[ $# -ge 2 ] && [ $(($# % 2)) -eq 0 ] ||
	{ echo "usage: fuzz.sh FUZZER CORPUS_DIR [FUZZER CORPUS_DIR]..." >&2; exit 2; }
SECONDS_=$((${FUZZ_SECONDS:-20} / ($# / 2)))
[ "$SECONDS_" -ge 1 ] || SECONDS_=1
ktap_header
ktap_plan $(($# / 2))
T=$(mktemp -d /tmp/kpm-fuzz.XXXXXX)

# fuzz_run FUZZER CORPUS: new inputs and artifacts in $T/FUZZER's name.
fuzz_run() {
	_dir=$T/$(basename "$1")
	mkdir -p "$_dir"
	[ -x "$1" ] || { echo "$1 is not built"; return 1; }
	[ -d "$2" ] || { echo "no corpus $2"; return 1; }
	"$1" -max_total_time="$SECONDS_" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$_dir/" "$_dir" "$2" >"$_dir.log" 2>&1 || {
		tail -n 30 "$_dir.log"
		return 1
	}
	grep -E '^Done [0-9]+ runs' "$_dir.log"
}
while [ $# -ge 2 ]; do
	ktap_result "$(basename "$1") for ${SECONDS_}s from $(basename "$2"), no crash" \
		fuzz_run "$1" "$2"
	shift 2
done
ls "$T"/*/crash-* "$T"/*/leak-* "$T"/*/timeout-* >/dev/null 2>&1 || rm -rf "$T"
ktap_finished
