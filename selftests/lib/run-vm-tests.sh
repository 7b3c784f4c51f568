#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-vm-tests.sh - run the VM selftests inside the guest (scripts/check.sh
# boots the VM with this as its command).
#
#   sh /kpm/selftests/lib/run-vm-tests.sh [TEST...]
#
# Runs every /kpm/selftests/vm/[0-9][0-9]-*.sh (or the TESTs given, by base
# name) in name order, each under `timeout $KPM_TEST_TIMEOUT` (default 600
# s) and in its own directory. A test's output (TAP) is streamed to the
# console and saved in /out/vm/NAME.log, its exit status in /out/vm/NAME.rc;
# the host tallies those files. Exits 0 once every test has run.

VMDIR=/kpm/selftests/vm
OUT=/out/vm
TIMEOUT=${KPM_TEST_TIMEOUT:-600}

mkdir -p "$OUT"
if [ $# -eq 0 ]; then
	set -- $(cd "$VMDIR" && ls [0-9][0-9]-*.sh 2>/dev/null)
fi

for t in "$@"; do
	name=${t%.sh}
	echo "# ==== $t"
	{
		cd "$VMDIR" && timeout "$TIMEOUT" sh "./$t"
		echo $? >"$OUT/$name.rc"
	} 2>&1 | tee "$OUT/$name.log"
	echo "# ==== $t: exit status $(cat "$OUT/$name.rc")"
done
exit 0
