#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 05-baseline.sh - the kernel's own log is clean before kprofmap ever
# loads (runs first, by name): a report that a later test's log check
# catches is then the module's, not the kernel's. On a lockdep kernel
# (the debug kernel, with PROVE_RAW_LOCK_NESTING) lockdep must be on:
# it turns itself off after its first report, and 98-lockdep.sh checks
# at the end of the boot that it still is.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
ktap_header
ktap_plan 3

ktap_result "kprofmap is not loaded yet" \
	sh -c '! grep -q "^kprofmap " /proc/modules'
kpm_check_boot_log "the kernel log since boot is clean, before any module"
if [ -f /proc/lockdep_stats ]; then
	ktap_result "lockdep is on (debug_locks: 1 in /proc/lockdep_stats)" kpm_lockdep_on
else
	case "$(uname -r)" in
	*-kpm-debug) ktap_bail "no /proc/lockdep_stats on the debug kernel $(uname -r)" ;;
	esac
	ktap_skip "lockdep is on" "$(uname -r) has no lockdep"
fi
ktap_finished
