#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 30-proc.sh - /proc/kprofmap/ semantics (kpm_proc_test, kselftest
# harness): control commands and bad writes, start/stop/reset, drain,
# concurrent readers, -EACCES for non-root. Then one more test point of
# our own: the unload and the kernel log, numbered after the harness's.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module

kpm_load freq=999 || ktap_bail "insmod failed"
/kpm/selftests/vm/kpm_proc_test >/tmp/proc_test.tap 2>&1
rc=$?
cat /tmp/proc_test.tap
ktap_n=$(grep -Ec '^(not )?ok ' /tmp/proc_test.tap)
kpm_unload_check "unload after proc tests, log clean"
[ $rc -eq 0 ] || exit $rc
ktap_finished
