#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 30-proc.sh - /proc/kprofmap/ semantics (kpm_proc_test, kselftest
# harness): control commands and bad writes, start/stop/reset, drain,
# concurrent readers, -EACCES for non-root. Its results are this test's,
# followed by one test point of our own: the unload and the kernel log.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header

T=/tmp/proc_test.tap
kpm_load freq=999 || ktap_bail "insmod failed"
/kpm/selftests/vm/kpm_proc_test >$T 2>&1
rc=$?
ktap_plan $(($(ktap_plan_of $T) + 1))
ktap_relay $T
[ $rc -eq 0 ] || ktap_diag "kpm_proc_test exited with status $rc"
kpm_unload_check "unload after proc tests, log clean"
[ $rc -eq 0 ] || exit $KSFT_FAIL
ktap_finished
