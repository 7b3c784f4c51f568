#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 50-failslab.sh - sampling at 10 kHz while failslab fails allocations from
# kprofmap's own slab caches (marked by the boot option
# slub_debug=A,kprofmap_*, which vm-run.sh gives the debug kernel;
# cache-filter=Y keeps every other cache of the kernel out of it,
# task-filter=N reaches the hrtimer callback in whatever task it
# interrupts):
#  - samples are lost, and every injected failure is counted as one lost
#    sample (lost_alloc == failures injected), never silently dropped;
#  - the records stay consistent: stored == the sum of the S records,
#    lost == the L record's count, every key appears once;
#  - unload leaves a clean kernel log, and on a kmemleak kernel a scan
#    after the unload reports nothing.
# Needs CONFIG_FAILSLAB + CONFIG_FAULT_INJECTION_DEBUG_FS: skipped on other
# kernels, never on the debug kernel (scripts/build-debug-kernel.sh).
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module

FS=/sys/kernel/debug/failslab
kpm_require_kernel $FS CONFIG_FAILSLAB CONFIG_FAULT_INJECTION_DEBUG_FS
ktap_header
ktap_plan 9

W=/kpm/selftests/workloads
CHECK=/kpm/selftests/vm/kpm_check
S=/tmp/failslab.txt
TIMES=1000000

# failslab_set PROBABILITY: fail that percentage of the allocations from
# SLAB_FAILSLAB caches, quietly (a verbose failure prints a stack trace,
# which the log check would count as a report), at most $TIMES times.
failslab_set() {
	echo 0 >$FS/verbose
	echo N >$FS/task-filter
	echo Y >$FS/cache-filter
	echo N >$FS/ignore-gfp-wait
	echo 0 >$FS/space
	echo 1 >$FS/interval
	echo $TIMES >$FS/times
	echo "$1" >$FS/probability
}

# max_entries at its top, so that failed allocations are the only loss.
kpm_load freq=10000 max_entries=1048576 autostart=0 || ktap_bail "insmod freq=10000 failed"
# kprofmap's caches must carry the failslab mark (kmem_cache_create()
# refuses SLAB_FAILSLAB, see module/compat.h; 6.1's sysfs file is
# read-only), and no other cache may.
marked=$(grep -l 1 /sys/kernel/slab/*/failslab 2>/dev/null | cut -d/ -f5 | sort -u)
ktap_diag "caches marked for failslab:" $marked
echo "$marked" | grep -q '^kprofmap_entry$' ||
	ktap_bail "kprofmap_entry is not marked for failslab (boot with slub_debug=A,kprofmap_*)"
echo "$marked" | grep -qv '^kprofmap_' && ktap_bail "caches other than kprofmap's are marked for failslab"
failslab_set 20
echo start >/proc/kprofmap/control
# New keys are what allocate: many short-lived tasks (new tgid/tid each),
# varied kernel stacks, and readers that swap the hot maps (so keys are
# inserted again into the emptied map).
$W/kpm_chain 2 >/dev/null & w1=$!
$W/kpm_readzero 2 >/dev/null & w2=$!
(while :; do cat /proc/kprofmap/samples >/dev/null || break; done) & r1=$!
i=0
while [ $i -lt 40 ]; do
	/bin/true
	ls -R /proc/self >/dev/null 2>&1
	i=$((i + 1))
done
wait $w1 $w2
echo stop >/proc/kprofmap/control
echo 0 >$FS/probability
kill $r1 2>/dev/null
wait 2>/dev/null
injected=$((TIMES - $(cat $FS/times)))
cat /proc/kprofmap/samples >$S
ktap_diag "failslab injected $injected failures; stats: samples $(kpm_stat samples)" \
	"stored $(kpm_stat stored) lost_alloc $(kpm_stat lost_alloc) lost_cap $(kpm_stat lost_cap) entries $(kpm_stat entries)"

ktap_result "failslab injected failures into kprofmap's caches" \
	kpm_stats_hold "$injected -gt 0"
ktap_result "samples were lost to failed allocations (lost_alloc > 0)" \
	kpm_stats_hold "lost_alloc -gt 0"
ktap_result "every injected failure is counted (alloc_failures == $injected injected, lost_alloc >= it)" \
	kpm_stats_hold "alloc_failures -eq $injected" "lost_alloc -ge $injected"
# Failed copies leave staged entries behind a little longer: the reserve
# may run out too (lost_reserve), an allocation-pressure loss as well.
ktap_result "sampling went on under failures (stored > 0), lost only to them (lost == lost_alloc + lost_reserve)" \
	kpm_stats_hold "stored -gt 0" "lost -eq $(($(kpm_stat lost_alloc) + $(kpm_stat lost_reserve)))"
ktap_result "stored == sum of S records" \
	kpm_stats_hold "stored -eq $(kpm_sum_samples $S)"
ktap_result "lost samples reported in the L record (lost == its count)" \
	kpm_stats_hold "lost -eq $(kpm_lost_count $S)"
ktap_result "records well formed, every key once" \
	$CHECK -f $S -C -m 0
kpm_unload_check "unload after failures, log clean"

kpm_kmemleak_check "kmemleak: no leak after unload"
ktap_finished
