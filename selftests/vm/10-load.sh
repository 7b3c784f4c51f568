#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 10-load.sh - kprofmap loads with defaults and with every parameter at its
# limits, refuses out-of-range values with a clear message, and unloads
# with a clean kernel log every time.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header

GOOD="freq=1 freq=10000 max_depth=1 max_depth=255 max_entries=16
max_entries=1048576 idle=1 autostart=0 noop=1"
BAD="freq=0:freq=0 freq=10001:freq=10001 max_depth=0:max_depth=0
max_depth=256:max_depth=256 max_entries=15:max_entries=15
max_entries=1048577:max_entries=1048577"

ktap_plan $((2 + 4 + 2 * 9 + 2 * 6))

# Defaults.
if kpm_load; then
	ktap_pass "load with defaults"
else
	ktap_fail "load with defaults"
fi
ktap_result "defaults: sampling on at 99 Hz" \
	sh -c 'grep -qx "sampling 1" /proc/kprofmap/stats && grep -qx "freq 99" /proc/kprofmap/stats'
ktap_result "files exist with modes 0400/0200 owned by root" \
	sh -c 'ls -ln /proc/kprofmap/ | awk "NR>1 { m[\$9] = \$1 \" \" \$3 } END {
		exit !(m[\"samples\"] == \"-r-------- 0\" && m[\"drain\"] == \"-r-------- 0\" &&
		       m[\"control\"] == \"--w------- 0\" && m[\"stats\"] == \"-r-------- 0\") }"'
ktap_result "header names version 1, freq and cpus" \
	sh -c 'head -n 1 /proc/kprofmap/samples | grep -Eq "^kprofmap-samples 1 freq=99 cpus=[0-9]+ start_ns=[0-9]+ end_ns=[0-9]+ max_depth=64$"'
ktap_result "parameters are read-only in sysfs" \
	sh -c '[ "$(cat /sys/module/kprofmap/parameters/freq)" = 99 ] && ! echo 5 2>/dev/null >/sys/module/kprofmap/parameters/freq'
kpm_unload_check "unload (defaults), log clean"

for p in $GOOD; do
	if kpm_load "$p"; then
		ktap_pass "load $p"
		sleep 0.2
		cat /proc/kprofmap/samples >/dev/null
	else
		ktap_fail "load $p"
	fi
	kpm_unload_check "unload ($p), log clean"
done

for pair in $BAD; do
	p=${pair%%:*}
	msg=${pair#*:}
	if kpm_load "$p" 2>/dev/null; then
		ktap_fail "refuse $p"
		kpm_unload
	else
		ktap_pass "refuse $p"
	fi
	ktap_result "refusal of $p says '$msg out of range'" \
		sh -c "kpm_dmesg_since_mark() { dmesg | awk '/kpm-selftest: mark / { b = \"\"; next } { b = b \$0 \"\\n\" } END { printf \"%s\", b }'; }
		       kpm_dmesg_since_mark | grep -q 'kprofmap: $msg out of range' && ! grep -q '^kprofmap ' /proc/modules"
done

ktap_finished
