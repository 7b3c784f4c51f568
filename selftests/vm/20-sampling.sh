#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 20-sampling.sh - what the samples say about known workloads:
#  - kpm_chain (main -> chain_a -> chain_b -> chain_leaf, CPU-bound, alone
#    on the one vCPU) is sampled freq times per second of guest time over
#    its measured phase, +-5%, at freq=999, the default (99), 1 and 3000;
#    every sample is under its tgid, tid and comm, with that user chain;
#  - kpm_readzero (read(/dev/zero) in a loop) shows the kernel read path
#    (ksys_read, vfs_read) stacked on its whole user chain in the same
#    record, libc's frameless read() wrapper's caller included.
#
# Rates are judged against guest time, never against the module's own
# tick counts, so the test runs where guest time does not depend on the
# host or the kernel's speed: one vCPU under -icount (scripts/check.sh
# boots such a VM for the tests marked below). kpm_chain -w blocks,
# already exec'd, until released: sampling starts then, so no sample
# precedes its exec (when it was still "sh"), and kpm_chain reports the
# guest time of its measured phase itself (CLOCK_MONOTONIC).
#
# kpm-vm: icount
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
kpm_require_icount
ktap_header
ktap_plan 13

W=/kpm/selftests/workloads
CHECK=/kpm/selftests/vm/kpm_check
FREQ=999
S=/tmp/samples.$$
OUT=/tmp/chain.out
# Guest seconds kpm_chain may take before it is killed: a sampled task
# that never gets back to user mode must fail the test, not hang the VM.
BOUND=20

# sample_chain SECONDS PARAM...: load kprofmap with PARAMs and autostart=0,
# start kpm_chain -w SECONDS (its pid in $pid; busybox timeout execs it in
# place), wait until it is blocked in its own comm, start sampling, release
# it, wait for it (killed after $BOUND s), copy samples to $S.
sample_chain() {
	_secs=$1
	shift
	kpm_load autostart=0 "$@" || ktap_bail "insmod $* failed"
	: >$OUT
	timeout -s KILL $BOUND $W/kpm_chain -w "$_secs" >$OUT & pid=$!
	until grep -q '^ready$' $OUT; do
		kill -0 $pid 2>/dev/null || ktap_bail "kpm_chain -w exited before it was ready"
		sleep 0.01
	done
	echo start >/proc/kprofmap/control
	kill -USR1 $pid
	wait $pid
	cat /proc/kprofmap/samples >$S
}

# chain_value KEY: what kpm_chain printed for KEY.
chain_value() {
	sed -n "s/^$1 //p" $OUT
}

# records_are_chain: every S record of $pid has tid $pid and comm kpm_chain.
records_are_chain() {
	awk -v p="$pid" '$1 == "S" && $3 == p { n++; if ($4 != p || $5 != "kpm_chain") { bad++; print } }
		END { printf "# %d records of tgid %d, %d of another tid or comm\n", n, p, bad; exit !(n > 0 && !bad) }' $S
}

# check_rate FREQ: one test point, kpm_chain's samples are FREQ per second
# of its measured phase's guest time, +-5% (and +-1).
# rate_within LO HI: kpm_chain's stored samples in $S, plus $S's lost
# count, lie in [LO, HI].
rate_within() {
	_lost=$(kpm_lost_count $S)
	_got=$(($(awk -v p="$pid" '$1 == "S" && $3 == p { n += $2 } END { print n + 0 }' $S) +
		${_lost:-0}))
	echo "# stored + lost: $_got, want [$1, $2]"
	[ "$_got" -ge "$1" ] && [ "$_got" -le "$2" ]
}

check_rate() {
	_wall_us=$(chain_value wall_us)
	if [ -z "$_wall_us" ]; then
		ktap_diag "kpm_chain did not finish its measured phase in $BOUND s of guest time;" \
			"stats: ticks $(kpm_stat ticks) overruns $(kpm_stat overruns) samples $(kpm_stat samples)"
		ktap_fail "freq $1: kpm_chain sampled $1/s of guest time"
		return
	fi
	_want=$(($1 * _wall_us / 1000000))
	ktap_diag "kpm_chain pid $pid: measured phase $_wall_us us of guest time, $(chain_value cpu_ms) ms of CPU;" \
		"stats: ticks $(kpm_stat ticks) overruns $(kpm_stat overruns) samples $(kpm_stat samples)"
	# Taken samples: kpm_chain's stored ones plus the window's lost ones
	# (on 1 vCPU nearly all of them its own). At 10 kHz the debug
	# kernel's collection falls behind and the reserves overflow:
	# counted (lost_reserve), and a rate question all the same.
	# Bounds: freq x its CPU time and freq x the phase's guest time, the
	# smaller -5%, the larger +5%. They agree when it has the vCPU alone;
	# on 6.12 something else took a third of it once (1004 ms of CPU in
	# 1484 ms) and the samples followed the CPU time (1000).
	_cpu_want=$(($1 * $(chain_value cpu_ms) / 1000))
	_lo=$_want
	_hi=$_want
	[ "$_cpu_want" -lt "$_lo" ] && _lo=$_cpu_want
	[ "$_cpu_want" -gt "$_hi" ] && _hi=$_cpu_want
	ktap_result "freq $1: kpm_chain sampled $1/s of its CPU and guest time ([$_lo, $_hi] +-5%, stored + lost)" \
		rate_within $((_lo * 95 / 100 - 1)) $((_hi * 105 / 100 + 1))
}

sample_chain 1 freq=$FREQ
check_rate $FREQ
ktap_result "kpm_chain records all carry tid = tgid and comm kpm_chain" records_are_chain
# Samples taken in user mode: all in chain_leaf's loop but the few in its
# CPU-clock call (libc, vDSO). Exit and the clock syscall are kernel
# samples (slow under the debug kernel's KASAN) and are left out (-K).
ktap_result "kpm_chain user-mode stacks are chain_leaf <- chain_b <- chain_a <- main (>= 90%)" \
	$CHECK -f $S -p $pid -c kpm_chain -s $W/kpm_chain.syms -K \
		-u chain_leaf,chain_b,chain_a,main -m 0.9 -n 1

# Syscall-heavy: the libc read() wrapper has no frame pointer. Samples
# inside the system call are unwound in hard irq by libc's .eh_frame
# rules (the default unwind=1), so its caller zero_read is kept (a
# frame-pointer walk skips it). First 50 ms of user-mode spinning, so
# that its mapping records exist before the read loop: until an image's
# first sample of user mode, its samples inside the kernel are walked by
# frame pointer (m=0), and this loop is in user mode so rarely that half
# its second could go by first (measured under icount: 518 of 1002).
$W/kpm_readzero 1 50 >/dev/null & pid=$!
wait $pid
cat /proc/kprofmap/samples >$S
ktap_result "kpm_readzero: kernel read path under read <- zero_read <- zero_loop <- main (>= 50%)" \
	$CHECK -f $S -p $pid -c kpm_readzero -s $W/kpm_readzero.syms \
		-u "read|__libc_read,zero_read,zero_loop,main" -k ksys_read -k vfs_read -m 0.5 -n 1
ktap_result "every kpm_readzero kernel stack ends in the syscall entry" \
	$CHECK -f $S -p $pid -k entry_SYSCALL_64_after_hwframe -m 0.5 -n 1

ktap_result "records are unique and well formed" $CHECK -f $S -C -m 0
kpm_unload_check "unload, log clean"

# The rate follows freq= at its default and its limits (two seconds at
# 1 Hz, for a count that says something).
sample_chain 1
check_rate 99
kpm_unload_check "unload (default freq), log clean"
sample_chain 2 freq=1
check_rate 1
kpm_unload_check "unload (freq=1), log clean"
# Not 10000: on the 6.1-debug kernel a task sampled at 10 kHz never gets
# back to user mode, nor out of exit (each tick queues a user-stack work
# that takes longer than the period; module/uwind.c).
sample_chain 0.5 freq=3000
check_rate 3000
kpm_unload_check "unload (freq=3000), log clean"
rm -f $S $OUT
ktap_finished
