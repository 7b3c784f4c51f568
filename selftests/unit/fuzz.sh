#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh - run a libFuzzer target for $FUZZ_SECONDS (default 20) from a
# committed corpus, as one TAP test (selftests/lib/kpm.sh).
#
#   sh fuzz.sh FUZZER CORPUS_DIR
#
# New inputs go to a scratch directory, never into the committed corpus;
# a crash fails the test and leaves its input in the scratch directory.
. "$(dirname "$0")/../lib/kpm.sh"

FUZZER=$1
CORPUS=$2
SECONDS_=${FUZZ_SECONDS:-20}
ktap_header
ktap_plan 1
[ -x "$FUZZER" ] || ktap_bail "$FUZZER is not built"
[ -d "$CORPUS" ] || ktap_bail "no corpus $CORPUS"
T=$(mktemp -d /tmp/kpm-fuzz.XXXXXX)

fuzz_run() {
	"$FUZZER" -max_total_time="$SECONDS_" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$T/" "$T" "$CORPUS" >"$T/log" 2>&1 || {
		tail -n 30 "$T/log"
		return 1
	}
	grep -E '^Done [0-9]+ runs' "$T/log"
}
ktap_result "$(basename "$FUZZER") for ${SECONDS_}s from $(basename "$CORPUS"), no crash" fuzz_run
ls "$T"/crash-* "$T"/leak-* "$T"/timeout-* >/dev/null 2>&1 || rm -rf "$T"
ktap_finished
