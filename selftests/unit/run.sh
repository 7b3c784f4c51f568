#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - the unit tests as one TAP stream (`make run`, after building
# them), through selftests/lib/kpm.sh.
#
# profmap_test, ehframe_test, buildid_test and gopclntab_test (kselftest
# harness) and the fuzz run (fuzz.sh, every target) each print TAP into a
# file; then come one plan, the sum of theirs, and their results,
# renumbered and named "PROGRAM: TEST".
#
# Environment: KPM_EHF_FILES (ehframe_test's real files), KPM_BID_FILES
# (buildid_test's), KPM_GOP_ORACLE (gopclntab_test's Go program),
# FUZZERS (fuzz.sh's FUZZER CORPUS_DIR pairs, from the Makefile),
# FUZZ_SECONDS (the fuzz run's, shared by its targets).
. "$(dirname "$0")/../lib/kpm.sh"
cd "$(dirname "$0")" || exit 1
T=$(mktemp -d /tmp/kpm-unit.XXXXXX)
trap 'rm -rf "$T"' EXIT
BROKEN=

# unit_run NAME CMD...: CMD's TAP in $T/NAME, its results named "NAME:
# TEST", what else it printed (such as a sanitizer's report) as "# "
# lines. An exit status that no failed result explains goes into BROKEN.
unit_run() {
	_name=$1
	shift
	"$@" >"$T/out" 2>&1
	_rc=$?
	sed -E '/^((not )?ok|#|1\.\.|TAP version)/!s/^/# /
		s/^((not )?ok [0-9]+ )/\1'"$_name"': /' "$T/out" >"$T/$_name"
	case $_rc in
	0 | 4) ;;
	*) grep -q '^not ok' "$T/$_name" ||
		BROKEN="$BROKEN $_name exited with status $_rc, no test failed;" ;;
	esac
}

unit_run profmap ./profmap_test
unit_run ehframe ./ehframe_test
unit_run buildid ./buildid_test
unit_run gopclntab ./gopclntab_test
# shellcheck disable=SC2086 # FUZZERS is a list of words
unit_run fuzz sh ./fuzz.sh $FUZZERS
ktap_header
ktap_plan $(($(ktap_plan_of "$T/profmap") + $(ktap_plan_of "$T/ehframe") +
	$(ktap_plan_of "$T/buildid") + $(ktap_plan_of "$T/gopclntab") +
	$(ktap_plan_of "$T/fuzz")))
for _name in profmap ehframe buildid gopclntab fuzz; do
	ktap_relay "$T/$_name"
done
[ -z "$BROKEN" ] || ktap_bail "$BROKEN"
ktap_finished
