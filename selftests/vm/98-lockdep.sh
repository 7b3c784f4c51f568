#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 98-lockdep.sh - after every other test of the boot (runs last, by name),
# lockdep is still on: it turns itself off after its first report, so a
# report that a log check missed would show here. Needs lockdep (the
# debug kernel has PROVE_LOCKING and PROVE_RAW_LOCK_NESTING): skipped on
# other kernels, never on the debug kernel.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_kernel /proc/lockdep_stats CONFIG_LOCKDEP
ktap_header
ktap_plan 2

ktap_result "lockdep is still on after the suite (debug_locks: 1)" kpm_lockdep_on
kpm_check_boot_log "the kernel log of the whole boot is clean"
ktap_finished
