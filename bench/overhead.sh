#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# overhead.sh - runs inside the VM (scripts/bench.sh boots it with
# -icount): times a fixed CPU-bound workload under each profiler.
#
#   overhead.sh PROFILERS FREQS WORKLOADS ITERS RUNS
#
#   PROFILERS  space-separated, each one of
#              none         no profiler
#              floor        kprofmap.ko noop=1: the per-CPU hrtimer alone
#              kprofmap     kprofmap.ko freq=F unwind=1 (the default: user
#                           stacks from .eh_frame, in task context)
#              kprofmap-u0  kprofmap.ko freq=F unwind=0 (frame-pointer
#                           walk in hard irq)
#              kprofmap-nocg kprofmap.ko freq=F cgroups=0 (no cgroup
#                           labels: what they cost)
#              kprofmap-filt kprofmap.ko freq=F with "filter pid=1" (init,
#                           asleep): every tick of the workload is
#                           filtered out, the cost of a filtered tick
#              perf         perf record -a -g -F F -o /tmp/perf.data
#              perf-dwarf   perf record -a --call-graph dwarf -F F (8 KiB
#                           of user stack copied per sample)
#              bpftrace     bpftrace -e 'profile:hz:F { @[kstack, ustack,
#                           pid, tid, comm] = count(); }'
#   FREQS      sampling frequencies in Hz (none runs once)
#   WORKLOADS  space-separated: N is kpm_spin N (frame pointers, N frames),
#              deepN is kpm_deep N (gcc -O2 without frame pointers, N
#              frames); e.g. "4 44 deep40"
#   ITERS      workload loop iterations per run
#   RUNS       runs of each (profiler, frequency, workload)
#
# For each profiler, frequency and workload the profiler is started and
# waited for, the workload runs RUNS times, and the profiler is stopped
# (so each kprofmap load's stats and each perf.data are one workload's).
# Prints, one line per run,
#   RESULT prof=P freq=F frames=W run=R ns=ELAPSED
# and INFO prof=P freq=F frames=W lines about what each profiler saw.
# Exits non-zero on the first thing that goes wrong.

set -u
PROFILERS=$1
FREQS=$2
WORKLOADS=$3
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
		insmod /kpm/kprofmap.ko freq="$2" unwind=1 || bench_fail "insmod freq=$2 unwind=1"
		;;
	kprofmap-u0)
		insmod /kpm/kprofmap.ko freq="$2" unwind=0 || bench_fail "insmod freq=$2 unwind=0"
		;;
	kprofmap-nocg)
		insmod /kpm/kprofmap.ko freq="$2" cgroups=0 || bench_fail "insmod freq=$2 cgroups=0"
		;;
	kprofmap-filt)
		insmod /kpm/kprofmap.ko freq="$2" || bench_fail "insmod freq=$2"
		echo "filter pid=1" >/proc/kprofmap/control || bench_fail "filter pid=1"
		;;
	perf)
		bench_perf_start "$2" /tmp/prof.log
		;;
	perf-dwarf)
		bench_perf_start "$2" /tmp/prof.log dwarf
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

# run W: one run of workload W; prints its "elapsed_ns N".
run() {
	case $1 in
	deep*) kpm_deep "${1#deep}" "$ITERS" ;;
	*) kpm_spin "$1" "$ITERS" ;;
	esac
}

comm_of() {
	case $1 in
	deep*) echo kpm_deep ;;
	*) echo kpm_spin ;;
	esac
}

# The user frames a complete stack of workload W has for profiler P, as
# its unwinder sees it: kpm_spin N under a frame-pointer walk has N (the
# walk ends at main's return into the C library, which keeps no frame
# pointer); the .eh_frame unwinder goes on through
# __libc_start_call_main and __libc_start_main to _start: N + 2.
# kpm_deep N has N by .eh_frame; a frame-pointer walk gets the leaf and
# whatever rbp points to (2 frames here): no expectation.
want_depth() {
	case $1,$2 in
	kprofmap,deep* | kprofmap-nocg,deep*) echo "${2#deep}" ;;
	kprofmap,* | kprofmap-nocg,*) echo $(($2 + 2)) ;;
	kprofmap-u0,deep*) echo 0 ;;
	kprofmap-u0,*) echo "$2" ;;
	esac
}

# What kprofmap saw of the workload: the user depth of its most counted
# stack, how many of its samples have the complete depth. Fails unless
# some do (the walk covered the whole stack), where that is expected.
check_kprofmap_depths() {
	want=$(want_depth "$1" "$3")
	info=$(awk -v comm="$(comm_of "$3")" -v want="$want" '$1 == "S" && $5 == comm {
		u = $0; sub(/.* u=/, "", u); sub(/ .*/, "", u); c = (u == "") ? 0 : split(u, f, ",")
		tot += $2; if (c == want) full += $2
		if ($2 > best) { best = $2; depth = c; top = u } }
		END { printf "top_depth=%d top_count=%d samples=%d full=%d want=%d top=%s\n",
			depth, best, tot, full, want, (top == "") ? "-" : top }' /proc/kprofmap/samples)
	echo "INFO prof=$1 freq=$2 frames=$3 stack $info"
	case $info in
	*" full=0 "*) [ "$want" -gt 0 ] &&
		bench_fail "$1: no $(comm_of "$3") sample with $want user frames ($info)" ;;
	esac
}

stop() {
	case $1 in
	none) ;;
	floor)
		bench_kpm_unload
		;;
	kprofmap-filt)
		echo stop >/proc/kprofmap/control
		echo "INFO prof=$1 freq=$2 frames=$3 stats" \
			$(grep -E '^(ticks|samples|filtered|idle) ' /proc/kprofmap/stats | tr ' ' '=')
		[ "$(awk '$1 == "filtered" { print $2 }' /proc/kprofmap/stats)" -gt 0 ] ||
			bench_fail "kprofmap-filt: no tick filtered"
		bench_kpm_unload
		;;
	kprofmap|kprofmap-u0|kprofmap-nocg)
		echo stop >/proc/kprofmap/control
		check_kprofmap_depths "$1" "$2" "$3"
		echo "INFO prof=$1 freq=$2 frames=$3 stats" \
			$(grep -E '^(ticks|samples|stored|lost|user_fault|overruns|entries|callback_ns_mean|unwind|unwind_[a-z_]*|maps_[a-z_]*) ' \
				/proc/kprofmap/stats | tr ' ' '=')
		bench_kpm_unload
		;;
	perf|perf-dwarf)
		bench_perf_stop /tmp/prof.log
		echo "INFO prof=$1 freq=$2 frames=$3 $(grep -o 'Captured.*' /tmp/prof.log)"
		echo "INFO prof=$1 freq=$2 frames=$3 event $(perf evlist -i /tmp/perf.data 2>/dev/null | head -n 1)"
		# Samples perf lost (ring buffer full): LOST and LOST_SAMPLES
		# records, counted by perf report; none when it lost nothing.
		echo "INFO prof=$1 freq=$2 frames=$3 lost" $(perf report -i /tmp/perf.data --stats 2>/dev/null |
			awk '$1 ~ /^LOST/ && $2 == "events:" { printf "%s=%s ", $1, $3 }')
		rm -f /tmp/perf.data
		;;
	bpftrace)
		kill -INT "$PROF_PID"
		wait "$PROF_PID"
		rc=$?
		[ $rc -eq 0 ] || { tail -n 20 /tmp/prof.log; bench_fail "bpftrace exited with status $rc"; }
		echo "INFO prof=bpftrace freq=$2 frames=$3 map_entries=$(grep -c '^@\[' /tmp/prof.log)"
		;;
	esac
}

# Debian's kernel has transparent huge pages "always": khugepaged wakes
# every 10 s of guest time and collapses the pages of big processes
# (bpftrace, perf) on the one vCPU, 5 to 15 ms inside whichever run is
# going on. That is not a cost per sample; off for the whole boot.
echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
echo "INFO thp $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"

# -icount charges a rep-prefixed string instruction once per iteration:
# say how the kernel copies (rep movsb with erms/fsrm).
echo "INFO cpu_flags $(grep -m 1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -x -E 'erms|fsrm|rep_good' | tr '\n' ' ')"

for prof in $PROFILERS; do
	freqs=$FREQS
	[ "$prof" = none ] && freqs=0
	for f in $freqs; do
		for n in $WORKLOADS; do
			start "$prof" "$f"
			r=1
			while [ $r -le "$RUNS" ]; do
				out=$(run "$n") || bench_fail "$(comm_of "$n") $n $ITERS"
				echo "RESULT prof=$prof freq=$f frames=$n run=$r ns=${out#elapsed_ns }"
				r=$((r + 1))
			done
			stop "$prof" "$f" "$n"
		done
	done
done
echo "OVERHEAD-DONE"
