#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# overhead.sh - runs inside the VM (scripts/bench.sh boots it with
# -icount): times a fixed CPU-bound workload under each profiler.
#
#   overhead.sh PROFILERS FREQS FRAMES ITERS RUNS
#
#   PROFILERS  space-separated, each one of
#              none      no profiler
#              floor     kprofmap.ko noop=1: the per-CPU hrtimer alone
#              kprofmap  kprofmap.ko freq=F
#              perf      perf record -a -g -F F -o /tmp/perf.data
#              bpftrace  bpftrace -e 'profile:hz:F { @[kstack, ustack,
#                        pid, tid, comm] = count(); }'
#   FREQS      sampling frequencies in Hz (none runs once)
#   FRAMES     user stack depths for kpm_spin (e.g. "4 44")
#   ITERS      kpm_spin loop iterations per run
#   RUNS       runs of each (profiler, frequency, depth)
#
# For each profiler and frequency the profiler is started once and
# waited for, then kpm_spin runs RUNS times at each depth, then the
# profiler is stopped. Prints, one line per run,
#   RESULT prof=P freq=F frames=N run=R ns=ELAPSED
# and INFO lines about what each profiler saw. Exits non-zero on the
# first thing that goes wrong.

set -u
PROFILERS=$1
FREQS=$2
FRAMES=$3
ITERS=$4
RUNS=$5

. /kpm/bench/lib.sh

PROF_PID=

start() {
	case $1 in
	none) ;;
	floor)
		insmod /kpm/kprofmap.ko freq="$2" noop=1 || bench_fail "insmod noop=1 freq=$2"
		;;
	kprofmap)
		insmod /kpm/kprofmap.ko freq="$2" || bench_fail "insmod freq=$2"
		;;
	perf)
		bench_perf_start "$2" /tmp/prof.log
		;;
	bpftrace)
		bpftrace -e "profile:hz:$2 { @[kstack, ustack, pid, tid, comm] = count(); }" \
			>/tmp/prof.log 2>&1 &
		PROF_PID=$!
		bench_wait_for /tmp/prof.log 600 'Attaching' || { cat /tmp/prof.log; bench_fail "bpftrace did not attach"; }
		sleep 2
		kill -0 $PROF_PID 2>/dev/null || { cat /tmp/prof.log; bench_fail "bpftrace died"; }
		;;
	*) bench_fail "unknown profiler $1" ;;
	esac
}

# The most-sampled kpm_spin stack of each depth must have that many
# user frames: proof that the walk covered the whole stack.
check_kprofmap_depths() {
	for n in $FRAMES; do
		nu=$(awk -v want="$n" '$1 == "S" && $5 == "kpm_spin" {
			u = $0; sub(/.* u=/, "", u); c = split(u, f, ",")
			if (c == want && $2 > best) best = $2 }
			END { print best + 0 }' /proc/kprofmap/samples)
		[ "$nu" -gt 0 ] || bench_fail "kprofmap: no kpm_spin sample with $n user frames"
		echo "INFO prof=kprofmap freq=$1 frames=$n top_stack_count=$nu"
	done
}

stop() {
	case $1 in
	none) ;;
	floor)
		rmmod kprofmap || bench_fail "rmmod"
		;;
	kprofmap)
		check_kprofmap_depths "$2"
		echo "INFO prof=kprofmap freq=$2 stats" \
			$(grep -E '^(ticks|samples|stored|lost|user_fault|overruns|entries|callback_ns_mean) ' \
				/proc/kprofmap/stats | tr ' ' '=')
		rmmod kprofmap || bench_fail "rmmod"
		;;
	perf)
		bench_perf_stop /tmp/prof.log
		echo "INFO prof=perf freq=$2 $(grep -o 'Captured.*' /tmp/prof.log)"
		echo "INFO prof=perf freq=$2 event $(perf evlist -i /tmp/perf.data 2>/dev/null | head -n 1)"
		;;
	bpftrace)
		kill -INT "$PROF_PID"
		wait "$PROF_PID"
		rc=$?
		[ $rc -eq 0 ] || { tail -n 20 /tmp/prof.log; bench_fail "bpftrace exited with status $rc"; }
		echo "INFO prof=bpftrace freq=$2 map_entries=$(grep -c '^@\[' /tmp/prof.log)"
		;;
	esac
}

for prof in $PROFILERS; do
	freqs=$FREQS
	[ "$prof" = none ] && freqs=0
	for f in $freqs; do
		start "$prof" "$f"
		r=1
		while [ $r -le "$RUNS" ]; do
			for n in $FRAMES; do
				out=$(kpm_spin "$n" "$ITERS") || bench_fail "kpm_spin $n $ITERS"
				echo "RESULT prof=$prof freq=$f frames=$n run=$r ns=${out#elapsed_ns }"
			done
			r=$((r + 1))
		done
		stop "$prof" "$f"
	done
done
echo "OVERHEAD-DONE"
