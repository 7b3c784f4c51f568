# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - helpers of the benchmarks' guest scripts (overhead.sh,
# export.sh). POSIX sh (busybox ash in the VM); sourced from /kpm/bench/.
#
#   bench_fail MSG...              print "SCRIPT: FAIL: MSG", exit 1
#   bench_wait_for FILE SECS RE    wait up to SECS seconds for FILE to
#                                  contain RE; non-zero on timeout
#   bench_perf_start HZ LOG [CALLGRAPH]
#                                  perf record -a -g -F HZ -o /tmp/perf.data,
#                                  or --call-graph CALLGRAPH instead of -g,
#                                  in the background (pid in BENCH_PERF_PID),
#                                  its output in LOG
#   bench_perf_stop LOG            SIGINT it and wait; fail unless it wrote
#                                  perf.data
#   bench_stat KEY                 a value of /proc/kprofmap/stats
#   bench_kpm_unload               stop sampling, rmmod kprofmap; retried for
#                                  10 s while queued user-stack works hold
#                                  the module (EAGAIN); fail after that

bench_fail() {
	echo "$(basename "$0"): FAIL: $*"
	exit 1
}

bench_wait_for() {
	_i=0
	while ! grep -q "$3" "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -gt "$2" ] && return 1
		sleep 1
	done
	return 0
}

bench_perf_start() {
	rm -f /tmp/perf.data
	if [ -n "${3:-}" ]; then
		perf record -a --call-graph "$3" -F "$1" -o /tmp/perf.data >"$2" 2>&1 &
	else
		perf record -a -g -F "$1" -o /tmp/perf.data >"$2" 2>&1 &
	fi
	BENCH_PERF_PID=$!
	# perf prints nothing when it starts; it is ready long before this
	# (under -icount sleep=off the guest's idle time is skipped).
	sleep 5
	kill -0 $BENCH_PERF_PID 2>/dev/null || { cat "$2"; bench_fail "perf record died"; }
}

# perf record re-raises the SIGINT that stops it once perf.data is
# written, so 130 with a "Captured and wrote" line is a clean stop.
bench_perf_stop() {
	kill -INT "$BENCH_PERF_PID"
	wait "$BENCH_PERF_PID"
	_rc=$?
	if [ $_rc -ne 0 ] && ! { [ $_rc -eq 130 ] && grep -q 'Captured and wrote' "$1"; }; then
		tail -n 20 "$1"
		bench_fail "perf record exited with status $_rc"
	fi
}

bench_stat() {
	awk -v k="$1" '$1 == k { print $2 }' /proc/kprofmap/stats
}

# A sampled task holds a module reference until its queued user-stack
# work has run (module/uwind.c, unwind=1): this shell may be one, and its
# work runs when its wait() for rmmod returns. So stop sampling (no new
# works) and try again.
bench_kpm_unload() {
	[ -w /proc/kprofmap/control ] && echo stop >/proc/kprofmap/control
	_i=0
	until rmmod kprofmap 2>/tmp/rmmod.err; do
		_i=$((_i + 1))
		[ $_i -gt 50 ] && { cat /tmp/rmmod.err; bench_fail "rmmod kprofmap"; }
		sleep 0.2
	done
	return 0
}
