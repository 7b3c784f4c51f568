#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 35-reader.sh - a samples reader is bounded: it reads the aggregate a
# chunk at a time (64 KiB of copies, under the aggregate's lock for that
# chunk only), so its memory does not grow with the aggregate, and CPU
# hotplug never waits for it. Read in small pieces it gives what one read
# gives; a reader whose place a drain took away gets ESTALE, not wrong
# records.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header
ktap_plan 10

W=/kpm/selftests/workloads
A=/tmp/reader.a
B=/tmp/reader.b
# Documented bound (Documentation/kprofmap.rst, "samples"): 64 KiB of
# copies, two arrays of 256 pointers, the seq_file buffer (one record:
# at most 10 KiB) and one xarray slot per process; 1 MiB leaves room for
# the kernel's own noise in MemFree.
BOUND_KB=1024

memfree_kb() {
	awk '/^MemFree:/ { print $2 }' /proc/meminfo
}

kpm_load freq=10000 max_entries=1048576 max_depth=255 ||
	ktap_bail "insmod max_entries=1048576 failed"
# Many unique deep stacks: two processes, 20000 call paths each, 60
# calls deep.
$W/kpm_keys 20000 8 1 60 >/dev/null &
$W/kpm_keys 20000 8 2 60 >/dev/null &
wait
echo stop >/proc/kprofmap/control
cat /proc/kprofmap/samples >$A
entries=$(kpm_stat entries)
# What a copy of the aggregate would take: its entries and stack arrays.
agg_kb=$((($(kpm_stat bytes_total) - $(kpm_stat bytes_reserve)) / 1024))
ktap_result "the aggregate holds many stacks ($entries entries, $agg_kb KiB)" \
	sh -c "[ $entries -ge 10000 ]"

dd if=/proc/kprofmap/samples bs=997 of=$B 2>/dev/null
# Each open has its own header (its end_ns).
ktap_result "read 997 bytes at a time, samples gives what one read gives" \
	sh -c "tail -n +2 $A >$A.r && tail -n +2 $B >$B.r && cmp $A.r $B.r"
ktap_result "every record once: the records total stored ($(kpm_sum_samples $A) of $(kpm_stat stored)), lost 0" \
	sh -c "[ $(kpm_sum_samples $A) -eq $(kpm_stat stored) ] && [ $(kpm_stat lost) -eq 0 ] &&
	       [ \$(grep -c '^S ' $A) -eq $entries ]"

# Memory: a reader part-way through holds its chunk, not a copy.
sync
m0=$(memfree_kb)
exec 3</proc/kprofmap/samples
dd bs=4096 count=1 <&3 >/dev/null 2>&1
m1=$(memfree_kb)
exec 3<&-
ktap_result "an open samples reader holds <= $BOUND_KB KiB ($((m0 - m1)) KiB; the aggregate is $agg_kb KiB)" \
	sh -c "[ $((m0 - m1)) -le $BOUND_KB ] && [ $agg_kb -gt $((2 * BOUND_KB)) ]"

# A drain between two reads of an open samples file: ESTALE.
exec 3</proc/kprofmap/samples
dd bs=4096 count=1 <&3 >/dev/null 2>&1
cat /proc/kprofmap/drain >/dev/null
ktap_result "a samples reader whose entries a drain took fails with ESTALE" \
	sh -c "! cat <&3 >/dev/null 2>/tmp/reader.err && grep -q 'Stale file handle' /tmp/reader.err && cat /tmp/reader.err"
exec 3<&-
ktap_result "the next open reads the (empty) new window" \
	sh -c "head -n 1 /proc/kprofmap/samples | grep -q '^kprofmap-samples ' &&
	       [ \$(grep -c '^S ' /proc/kprofmap/samples) -eq 0 ]"

# Hotplug never waits for a reader. A reader paused part-way through the
# file holds no lock between its reads: a lock held from open to release
# would leave the offline waiting for ever. Each offline runs in the
# background and is given 60 s; how long it took is printed, not judged
# (TCG and the debug kernel make an offline itself take 1-6 s).
uptime_cs() {
	awk '{ split($1, t, "."); print t[1] * 100 + t[2] }' /proc/uptime
}
# offline_within SECS: take CPU 1 offline and back; 0 when both finished
# within SECS. Prints the offline's centiseconds.
offline_within() {
	rm -f /tmp/off.done
	_t0=$(uptime_cs)
	(echo 0 >/sys/devices/system/cpu/cpu1/online &&
	 echo 1 >/sys/devices/system/cpu/cpu1/online && : >/tmp/off.done) >/dev/null 2>&1 &
	_n=0
	while [ ! -e /tmp/off.done ] && [ $_n -lt $(($1 * 10)) ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	echo "offline and online: $(($(uptime_cs) - _t0)) cs"
	[ -e /tmp/off.done ]
}
echo start >/proc/kprofmap/control
$W/kpm_keys 20000 6 3 >/dev/null &
wpid=$!
sleep 0.5
exec 3</proc/kprofmap/samples
dd bs=4096 count=1 <&3 >/dev/null 2>&1
ktap_result "CPU 1 goes offline and back while a samples reader is paused mid-file" \
	offline_within 60
ktap_result "the paused reader then reads on to its end or to ESTALE" \
	sh -c "cat <&3 >/dev/null 2>/tmp/reader.err || grep -q 'Stale file handle' /tmp/reader.err"
exec 3<&-
(while kill -0 $wpid 2>/dev/null; do cat /proc/kprofmap/samples >/dev/null; done) &
rpid=$!
ok=1
for i in 1 2 3; do
	sleep 0.5
	t=$(offline_within 60) || ok=0
	echo "# $t"
done
wait $wpid
wait $rpid
ktap_result "CPU 1 goes offline and back three times while readers loop" \
	[ $ok -eq 1 ]
kpm_unload_check "unload, log clean"
rm -f $A $B $A.r $B.r /tmp/reader.err
ktap_finished
