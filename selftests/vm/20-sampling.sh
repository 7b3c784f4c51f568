#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 20-sampling.sh - what the samples say about known workloads:
#  - kpm_chain (main -> chain_a -> chain_b -> chain_leaf, CPU-bound) is
#    sampled at ~freq per CPU-second, under its tgid/tid/comm, with that
#    exact user chain;
#  - kpm_readzero (read(/dev/zero) in a loop) shows the kernel read path
#    (ksys_read, vfs_read) stacked on its user chain in the same record.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header
ktap_plan 7

W=/kpm/selftests/workloads
CHECK=/kpm/selftests/vm/kpm_check
FREQ=999
S=/tmp/samples.$$

kpm_load freq=$FREQ autostart=0 || ktap_bail "insmod failed"
echo start >/proc/kprofmap/control


# CPU-bound chain, 2 CPU-seconds, pinned to CPU 1 (CPU 0 when alone).
cpu=1
[ -d /sys/devices/system/cpu/cpu1 ] || cpu=0
cpustat() { sed -n "s/^cpu$cpu ticks \([0-9]*\) overruns \([0-9]*\) .*/\1 \2/p" /proc/kprofmap/stats; }
set -- $(cpustat); t0=$1; o0=$2
taskset $((1 << cpu)) $W/kpm_chain 2 >/tmp/chain.out & pid=$!
wait $pid
set -- $(cpustat); t1=$1; o1=$2
cpu_ms=$(sed -n 's/^cpu_ms //p' /tmp/chain.out)
cat /proc/kprofmap/samples >$S
# Expected samples: freq * CPU seconds, times the fraction of CPU $cpu's
# timer periods that fired (a vCPU descheduled by a busy host skips
# periods; the module counts them as overruns, per CPU), +-20%.
want=$((FREQ * cpu_ms / 1000 * (t1 - t0) / (t1 - t0 + o1 - o0)))
ktap_diag "kpm_chain pid $pid used $cpu_ms ms of CPU on CPU $cpu; ticks $((t1 - t0)), overruns $((o1 - o0)) there"
ktap_result "kpm_chain sampled at ~$FREQ/s of CPU time ($want +-20%)" \
	$CHECK -f $S -p $pid -m 0 -n $((want * 4 / 5)) -N $((want * 6 / 5))
# Before exec the child is still "sh": comm is taken at first insertion.
ktap_result "kpm_chain records carry tid = tgid and (>= 95%) comm kpm_chain" \
	sh -c "grep '^S [0-9]* $pid ' $S | awk '\$4 != $pid { bad = 1 } END { exit bad }' &&
	       $CHECK -f $S -p $pid -c kpm_chain -m 0.95 -n 1"
# Samples taken in user mode: all in chain_leaf's loop but the few in its
# CPU-clock call (libc, vDSO). Exec, exit and the clock syscall are kernel
# samples (slow under the debug kernel's KASAN) and are left out (-K).
ktap_result "kpm_chain user-mode stacks are chain_leaf <- chain_b <- chain_a <- main (>= 90%)" \
	$CHECK -f $S -p $pid -c kpm_chain -s $W/kpm_chain.syms -K \
		-u chain_leaf,chain_b,chain_a,main -m 0.9 -n 1

# Syscall-heavy: the libc read() wrapper has no frame, so its caller
# zero_read is skipped by any frame-pointer walk (see Limitations).
$W/kpm_readzero 2 >/dev/null & pid=$!
wait $pid
cat /proc/kprofmap/samples >$S
ktap_result "kpm_readzero: kernel read path under read <- zero_loop <- main (>= 50%)" \
	$CHECK -f $S -p $pid -c kpm_readzero -s $W/kpm_readzero.syms \
		-u "read|__libc_read,zero_loop,main" -k ksys_read -k vfs_read -m 0.5 -n 1
ktap_result "every kpm_readzero kernel stack ends in the syscall entry" \
	$CHECK -f $S -p $pid -k entry_SYSCALL_64_after_hwframe -m 0.5 -n 1

ktap_result "records are unique and well formed" $CHECK -f $S -C -m 0
rm -f $S
kpm_unload_check "unload, log clean"
ktap_finished
