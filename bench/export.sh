#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# export.sh - runs inside the VM (scripts/bench.sh boots it): the size and
# cost of getting a profile out.
#
#   export.sh SECONDS FREQ BIG_FREQ BIG_STACKS
#
# 1. kprofmap at FREQ and `perf record -a -g -F FREQ` on the same run of
#    kpm_manystacks (one thread per CPU, SECONDS long) while a reader
#    reads /proc/kprofmap/samples in a loop. Then: lost samples, the
#    bytes of samples, of perf.data and of kprof2pprof's pprof file, the
#    time to read samples and to run kprof2pprof (from /proc, the
#    workload still alive so its stacks are symbolized).
# 2. kprofmap at BIG_FREQ until samples holds BIG_STACKS unique stacks;
#    kprof2pprof on a saved copy: time, stacks/s, peak RSS.
#
# Prints "EXPORT key=value" lines; exits non-zero on the first failure.
# A missing kprof2pprof or perf is reported (EXPORT kprof2pprof=missing),
# not a failure.

set -u
SECONDS_RUN=$1
FREQ=$2
BIG_FREQ=$3
BIG_STACKS=$4
CPUS=$(grep -c ^processor /proc/cpuinfo)

. /kpm/bench/lib.sh

say() {
	echo "EXPORT $*"
}

# kpm_run's report for the last command: "elapsed_ns=N maxrss_kb=M".
timed() {
	kpm_run "$@" 2>/tmp/run.err || { cat /tmp/run.err; return 1; }
	grep -o 'elapsed_ns=.*' /tmp/run.err
}

have_pprof=0
command -v kprof2pprof >/dev/null && have_pprof=1
have_perf=0
command -v perf >/dev/null && have_perf=1
[ $have_pprof -eq 1 ] || say kprof2pprof=missing
[ $have_perf -eq 1 ] || say perf=missing

# ---------------------------------------------------------------- 1
insmod /kpm/kprofmap.ko freq="$FREQ" max_entries=262144 || bench_fail "insmod"
if [ $have_perf -eq 1 ]; then
	bench_perf_start "$FREQ" /tmp/perf.log
fi
echo reset >/proc/kprofmap/control || bench_fail "reset"

rm -f /tmp/stop-reader
(
	n=0
	while [ ! -e /tmp/stop-reader ]; do
		cat /proc/kprofmap/samples >/dev/null || exit 1
		n=$((n + 1))
	done
	echo "$n" >/tmp/reader.count
) &
READER=$!

kpm_manystacks "$CPUS" "$SECONDS_RUN" linger >/tmp/ms.out &
MS=$!
bench_wait_for /tmp/ms.out $((SECONDS_RUN * 10 + 60)) done || bench_fail "kpm_manystacks did not finish"
echo stop >/proc/kprofmap/control || bench_fail "stop"
touch /tmp/stop-reader
wait $READER || bench_fail "the reader loop failed"
if [ $have_perf -eq 1 ]; then
	bench_perf_stop /tmp/perf.log
	say perf_data_bytes=$(wc -c </tmp/perf.data) perf_$(grep -o '([0-9]* samples)' /tmp/perf.log | tr -d '( )' | sed 's/samples$//;s/^/samples=/')
fi

say cpus=$CPUS seconds=$SECONDS_RUN freq=$FREQ reader_loops=$(cat /tmp/reader.count) \
	samples=$(bench_stat samples) stored=$(bench_stat stored) lost=$(bench_stat lost) \
	lost_alloc=$(bench_stat lost_alloc) lost_cap=$(bench_stat lost_cap) overruns=$(bench_stat overruns) \
	entries=$(bench_stat entries) bytes_total=$(bench_stat bytes_total)

r=$(timed -o /tmp/samples.txt -- cat /proc/kprofmap/samples) || bench_fail "reading samples"
say samples_bytes=$(wc -c </tmp/samples.txt) samples_unique=$(grep -c '^S ' /tmp/samples.txt) \
	read_$r
if [ $have_pprof -eq 1 ]; then
	r=$(timed -- kprof2pprof -o /tmp/cpu.pb.gz) || bench_fail "kprof2pprof"
	say pprof_bytes=$(wc -c </tmp/cpu.pb.gz) pprof_$r
fi
kill $MS
wait $MS 2>/dev/null
bench_kpm_unload

# ---------------------------------------------------------------- 2
insmod /kpm/kprofmap.ko freq="$BIG_FREQ" max_entries=1048576 || bench_fail "insmod big"
kpm_manystacks "$CPUS" 3600 linger >/tmp/ms.out &
MS=$!
n=0
i=0
while [ "$n" -lt "$BIG_STACKS" ]; do
	i=$((i + 1))
	[ $i -gt 600 ] && bench_fail "only $n unique stacks after 600 s"
	sleep 1
	n=$(grep -c '^S ' /proc/kprofmap/samples)
done
kill -USR1 $MS
bench_wait_for /tmp/ms.out 60 done || bench_fail "kpm_manystacks did not stop"
echo stop >/proc/kprofmap/control || bench_fail "stop"
cat /proc/kprofmap/samples >/tmp/big.txt || bench_fail "reading samples"
say big_unique=$(grep -c '^S ' /tmp/big.txt) big_bytes=$(wc -c </tmp/big.txt) \
	big_entries=$(bench_stat entries) big_bytes_total=$(bench_stat bytes_total) big_lost=$(bench_stat lost)
if [ $have_pprof -eq 1 ]; then
	r=$(timed -- kprof2pprof -o /tmp/big.pb.gz /tmp/big.txt) || bench_fail "kprof2pprof on the big profile"
	say big_pprof_bytes=$(wc -c </tmp/big.pb.gz) big_pprof_$r
fi
kill $MS
wait $MS 2>/dev/null
bench_kpm_unload
echo "EXPORT-DONE"
