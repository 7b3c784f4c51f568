#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 55-reserve.sh - the hard-irq path never enters the slab allocator: with
# failslab failing every allocation from kprofmap's caches, the timers
# still stage every sample (from the hot maps' reserves, no allocation
# fails); the failures appear only when a collection copies the staged
# entries into the aggregate, in process context, and each is counted.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module

FS=/sys/kernel/debug/failslab
kpm_require_kernel $FS CONFIG_FAILSLAB CONFIG_FAULT_INJECTION_DEBUG_FS
kpm_require_cmd taskset
ktap_header
ktap_plan 5

W=/kpm/selftests/workloads

# max_depth=8 and 99 Hz: few frames an entry and few entries, so the short
# run stays under half of either reserve and no early collection (a kick)
# runs before the checks (the debug kernel's deep KASAN stacks filled half
# the frames; at 999 Hz its slow exec of kpm_keys staged 1779 samples and
# kicked two collections).
kpm_load freq=99 collect_ms=10000 autostart=0 max_depth=8 || ktap_bail "insmod failed"
grep -q 1 /sys/kernel/slab/kprofmap_entry/failslab 2>/dev/null ||
	ktap_bail "kprofmap_entry is not marked for failslab (boot with slub_debug=A,kprofmap_*)"
echo 0 >$FS/verbose
echo N >$FS/task-filter
echo Y >$FS/cache-filter
echo N >$FS/ignore-gfp-wait
echo 0 >$FS/space
echo 1 >$FS/interval
echo 1000000 >$FS/times
echo 100 >$FS/probability
echo start >/proc/kprofmap/control
taskset 1 $W/kpm_keys 10 0.3 >/dev/null
staged=$(kpm_stat staged)
ktap_diag "every slab allocation fails: staged $staged stored $(kpm_stat stored) lost $(kpm_stat lost) alloc_failures $(kpm_stat alloc_failures) collections $(kpm_stat collections)"
ktap_result "the timers staged samples with every slab allocation failing (staged > 0)" \
	kpm_stats_hold "collections -eq 0" "$staged -gt 0"
ktap_result "no allocation was tried in the timers (alloc_failures == 0, lost == 0)" \
	kpm_stats_hold "alloc_failures -eq 0" "lost -eq 0"
echo stop >/proc/kprofmap/control
cat /proc/kprofmap/samples >/tmp/reserve.txt
echo 0 >$FS/probability
ktap_diag "after a collection: alloc_failures $(kpm_stat alloc_failures) lost_alloc $(kpm_stat lost_alloc) stored $(kpm_stat stored) entries $(kpm_stat entries)"
ktap_result "the collection's copies failed and were counted (alloc_failures > 0, lost == lost_alloc)" \
	kpm_stats_hold "alloc_failures -gt 0" "lost -eq lost_alloc"
ktap_result "stored == sum of S records" \
	kpm_stats_hold "stored -eq $(kpm_sum_samples /tmp/reserve.txt)"
kpm_unload_check "unload, log clean"
ktap_finished
