#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-run-selftest.sh - prove that scripts/vm-run.sh does its job (TAP).
#
#   scripts/vm-run-selftest.sh
#
# Five short boots: a clean run brings back its exit status, its output, an
# --add'ed file and its /out files; a guest WARNING (kpm_warn.ko warn=1,
# from selftests/warn) fails the run loudly; --expect-fail-log and the
# selftest lib's kpm_check_dmesg both see that WARNING; a guest panic
# fails the run; a hung guest is killed at --timeout.
# Needs selftests/warn/kpm_warn.ko (scripts/check.sh builds it).

set -uo pipefail
. "$(dirname "$0")/common.sh"
. "$KPM_TOP/selftests/lib/kpm.sh"

WARN_KO=selftests/warn/kpm_warn.ko
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# run_vm NAME ARGS...: run vm-run.sh ARGS, its output (shown as TAP
# diagnostics) in $TMP/NAME.log and its exit status in RC.
run_vm() {
	local name=$1
	shift
	"$KPM_TOP/scripts/vm-run.sh" "$@" >"$TMP/$name.log" 2>&1
	RC=$?
	sed 's/^/# /' "$TMP/$name.log"
}

# expect DESC CONDITION...: one test point, passing when CONDITION holds.
expect() {
	local desc=$1
	shift
	if "$@"; then ktap_pass "$desc"; else ktap_fail "$desc (vm-run status $RC)"; fi
}

# logged NAME REGEX: run NAME's output has a line matching REGEX.
logged() {
	grep -qE "$2" "$TMP/$1.log"
}

# ran RC NAME REGEX: the last run exited with RC, and its output (run NAME)
# has a line matching REGEX.
ran() {
	[[ $RC -eq $1 ]] && logged "$2" "$3"
}

files_came_back() {
	[[ $(cat "$TMP/out/added") == from-host && $(cat "$TMP/out/d/x") == guest ]]
}

ktap_header
ktap_plan 7
[[ -f $KPM_TOP/$WARN_KO ]] || ktap_bail "$WARN_KO not built (make -C selftests/warn)"
KVER=$(kpm_default_kver)

echo from-host >"$TMP/added.txt"
run_vm clean --out "$TMP/out" --add "$TMP/added.txt:/etc/added.txt" -- \
	'uname -r; cp /etc/added.txt /out/added; mkdir /out/d; echo guest >/out/d/x; exit 3'
expect "clean run returns the guest command's exit status" test "$RC" -eq 3
expect "clean run shows the guest's output ($KVER)" logged clean "^$KVER\$"
expect "--add copies a file in, --out brings files back" files_came_back

run_vm warn -- "insmod $WARN_KO warn=1"
expect "a guest WARNING fails the run, naming the line" \
	ran 125 warn "console.log:[0-9]+: .*WARNING: CPU"

run_vm expect --expect-fail-log -- ". selftests/lib/kpm.sh; kpm_dmesg_mark;" \
	"insmod $WARN_KO warn=1; kpm_check_dmesg 'lib sees the WARNING' && exit 1; exit 0"
expect "--expect-fail-log and kpm_check_dmesg both see the WARNING" \
	ran 0 expect "^not ok 1 lib sees the WARNING"

run_vm panic -- 'echo c >/proc/sysrq-trigger; sleep 60'
expect "a guest panic fails the run" ran 125 panic "did not finish"

run_vm timeout --timeout 10 -- 'sleep 600'
expect "a hung guest is killed at --timeout" ran 124 timeout "TIMEOUT after 10s"

ktap_finished
