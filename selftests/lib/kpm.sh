# SPDX-License-Identifier: GPL-2.0
#
# kpm.sh - helpers for kprofmap's VM selftests (selftests/vm/NN-name.sh).
#
# POSIX sh (busybox ash in the VM). Source it, then print TAP through it:
#
#	. /kpm/selftests/lib/kpm.sh        # or "$(dirname "$0")/../lib/kpm.sh"
#	kpm_require_root
#	kpm_require_module
#	ktap_header
#	ktap_plan 3
#	kpm_load freq=999 || ktap_bail "insmod failed"
#	ktap_result "samples is readable" head -n 1 /proc/kprofmap/samples
#	ktap_result "freq=999 in the header" grep -q freq=999 /proc/kprofmap/samples
#	kpm_unload_check "unload, kernel log clean"
#	ktap_finished
#
# TAP (kselftest style; exit codes as tools/testing/selftests/kselftest.h):
#   ktap_header               print "TAP version 13"
#   ktap_plan N               print "1..N"
#   ktap_pass DESC            print "ok <n> DESC"
#   ktap_fail DESC            print "not ok <n> DESC"
#   ktap_skip DESC REASON     print "ok <n> DESC # SKIP REASON"
#   ktap_result DESC CMD...   run CMD (output shown as "# " lines), then
#                             ktap_pass DESC if it exited 0, else ktap_fail
#   ktap_diag MSG...          print "# MSG"
#   ktap_skip_all REASON      print "1..0 # SKIP REASON", exit 4 (KSFT_SKIP)
#   ktap_bail MSG             print "Bail out! MSG", exit 1 (KSFT_FAIL)
#   ktap_relay FILE           fold the TAP of a program this test ran (a
#                             kselftest harness program) into this test's:
#                             its results are renumbered after ours and
#                             counted, its "TAP version" and plan dropped,
#                             the rest passed through
#   ktap_plan_of FILE         the N of FILE's first "1..N" plan (0 if none)
#   ktap_finished             print totals and exit: 1 if any test failed or
#                             fewer ran than planned, 4 if all were skipped,
#                             else 0
#
# Requirements (skip when a feature is absent, fail when a build is):
#   kpm_require_root          skip all unless running as root
#   kpm_require_cmd CMD...    skip all unless every CMD is on PATH
#   kpm_require_kernel PATH CONFIG...
#                             skip all unless PATH exists (CONFIG names the
#                             kernel options behind it); bail out instead on
#                             the debug kernel (release *-kpm-debug), which
#                             scripts/build-debug-kernel.sh builds with them
#   kpm_require_module        bail out (a failure, not a skip) if $KPM_KO is
#                             missing: the VM always ships the module
#   kpm_require_icount        bail out unless guest time is deterministic
#                             (vm-run.sh --cpus 1 --icount SHIFT sets
#                             KPM_ICOUNT); a test that needs it carries
#                             the line "# kpm-vm: icount", and
#                             scripts/check.sh runs it in such a boot
#   kpm_preempt_rt            true on a PREEMPT_RT kernel
#                             (/sys/kernel/realtime is 1)
#
# Module and kernel log:
#   KPM_KO                    module path (default /kpm/kprofmap.ko)
#   KPM_BAD_LOG_RE            extended regex of kernel log lines that fail a
#                             test (also used by scripts/vm-run.sh)
#   kpm_dmesg_mark [NAME]     write a mark line into the kernel log
#   kpm_dmesg_since_mark      print the kernel log lines after the last mark
#   kpm_check_dmesg DESC      test point: fail DESC, listing the lines, if
#                             any line since the last mark matches
#                             KPM_BAD_LOG_RE
#   kpm_loaded                true if kprofmap is loaded
#   kpm_load [PARAM=VALUE...] mark the log, insmod $KPM_KO; insmod's status
#   kpm_unload                stop, rmmod kprofmap (retried for 2 s); status
#   kpm_unload_check DESC     test point: rmmod succeeds and the kernel log
#                             since the last mark (kpm_load sets one) is clean
#   kpm_stat KEY              value of KEY in /proc/kprofmap/stats
#   kpm_stats_hold 'A OP B'...
#                             true if every condition holds (OP as in test:
#                             -eq -ne -lt -le -gt -ge; A and B numbers or
#                             stats KEYs), else names the ones that fail:
#                             ktap_result "nothing lost" kpm_stats_hold "lost -eq 0"
#   kpm_sum_samples FILE      sum of the S records' counts in a copy of samples
#   kpm_lost_count FILE       the L record's count in a copy of samples
#   kpm_stacks_within N FILE  no S record of FILE has more than N kernel or
#                             more than N user frames; prints the longest
#   kpm_kmemleak_check DESC   test point: a kmemleak scan, once kmemleak's
#                             minimum object age (5 s) has passed, reports
#                             nothing; skipped on kernels without kmemleak

KPM_KO=${KPM_KO:-/kpm/kprofmap.ko}

# Kernel log lines that fail a test or a VM run: crashes, warnings, leaks,
# lockdep and sanitizer reports, stalls. kmemleak's own boot and scan-thread
# lines ("initialized", "thread started") are not reports.
KPM_BAD_LOG_RE='Kernel panic|Oops|WARNING:|BUG:|BUG kmalloc|general protection fault|'\
'kmemleak: ([0-9]+ new suspected|Cannot |Memory pool empty|.*[Dd]isabled)|'\
'unreferenced object|Objects remaining|still has objects|'\
'possible recursive locking|circular locking|inconsistent lock state|'\
'INFO: (possible|task .* blocked|lockdep)|DEBUG_LOCKS_WARN_ON|UBSAN:|KASAN:|'\
'soft lockup|hard LOCKUP|rcu_.* detected stalls|Call Trace:'

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

ktap_n=0
ktap_npass=0
ktap_nfail=0
ktap_nskip=0
ktap_nplan=

ktap_header() {
	echo "TAP version 13"
}

ktap_plan() {
	ktap_nplan=$1
	echo "1..$1"
}

ktap_diag() {
	echo "# $*"
}

ktap_pass() {
	ktap_n=$((ktap_n + 1))
	ktap_npass=$((ktap_npass + 1))
	echo "ok $ktap_n $1"
}

ktap_fail() {
	ktap_n=$((ktap_n + 1))
	ktap_nfail=$((ktap_nfail + 1))
	echo "not ok $ktap_n $1"
}

ktap_skip() {
	ktap_n=$((ktap_n + 1))
	ktap_nskip=$((ktap_nskip + 1))
	echo "ok $ktap_n $1 # SKIP $2"
}

ktap_result() {
	_kpm_desc=$1
	shift
	if _kpm_out=$("$@" 2>&1); then
		[ -n "$_kpm_out" ] && echo "$_kpm_out" | sed 's/^/# /'
		ktap_pass "$_kpm_desc"
	else
		[ -n "$_kpm_out" ] && echo "$_kpm_out" | sed 's/^/# /'
		ktap_fail "$_kpm_desc"
	fi
}

ktap_relay() {
	while IFS= read -r _kpm_line; do
		case "$_kpm_line" in
		"TAP version "* | 1..*) ;;
		"not ok"*) ktap_fail "$(echo "$_kpm_line" | sed -E 's/^not ok( [0-9]+)? ?//')" ;;
		"ok"*"# SKIP"*)
			_kpm_desc=$(echo "$_kpm_line" | sed -E 's/^ok( [0-9]+)? ?//')
			ktap_skip "${_kpm_desc%% # SKIP*}" "${_kpm_desc#*# SKIP }" ;;
		"ok"*) ktap_pass "$(echo "$_kpm_line" | sed -E 's/^ok( [0-9]+)? ?//')" ;;
		*) echo "$_kpm_line" ;;
		esac
	done <"$1"
}

ktap_plan_of() {
	_kpm_plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$1" | head -n 1)
	echo "${_kpm_plan:-0}"
}

ktap_skip_all() {
	echo "1..0 # SKIP $*"
	exit $KSFT_SKIP
}

ktap_bail() {
	echo "Bail out! $*"
	exit $KSFT_FAIL
}

ktap_finished() {
	echo "# Totals: pass:$ktap_npass fail:$ktap_nfail skip:$ktap_nskip"
	if [ -n "$ktap_nplan" ] && [ "$ktap_n" -ne "$ktap_nplan" ]; then
		echo "# Planned $ktap_nplan tests but ran $ktap_n"
		exit $KSFT_FAIL
	fi
	[ "$ktap_nfail" -eq 0 ] || exit $KSFT_FAIL
	[ "$ktap_npass" -eq 0 ] && [ "$ktap_nskip" -gt 0 ] && exit $KSFT_SKIP
	exit $KSFT_PASS
}

kpm_require_root() {
	[ "$(id -u)" -eq 0 ] || ktap_skip_all "must run as root"
}

kpm_require_cmd() {
	for _kpm_cmd in "$@"; do
		command -v "$_kpm_cmd" >/dev/null 2>&1 || ktap_skip_all "$_kpm_cmd not found"
	done
}

kpm_require_kernel() {
	_kpm_path=$1
	shift
	[ -e "$_kpm_path" ] && return 0
	case "$(uname -r)" in
	*-kpm-debug) ktap_bail "no $_kpm_path on the debug kernel $(uname -r)" ;;
	esac
	ktap_skip_all "no $_kpm_path: kernel $(uname -r) lacks $*"
}

kpm_require_module() {
	[ -f "$KPM_KO" ] || ktap_bail "$KPM_KO missing (module not built?)"
}

kpm_require_icount() {
	[ -n "${KPM_ICOUNT:-}" ] ||
		ktap_bail "needs deterministic guest time: boot with vm-run.sh --cpus 1 --icount SHIFT"
}

kpm_preempt_rt() {
	[ "$(cat /sys/kernel/realtime 2>/dev/null)" = 1 ]
}

kpm_dmesg_mark() {
	# <6>: KERN_INFO, so the mark stays off the console.
	echo "<6>kpm-selftest: mark ${1:-$0}" >/dev/kmsg
}

kpm_dmesg_since_mark() {
	dmesg | awk '/kpm-selftest: mark / { buf = ""; next } { buf = buf $0 "\n" } END { printf "%s", buf }'
}

# kpm_log_verdict DESC LOG: pass DESC if LOG (kernel log text) holds no
# KPM_BAD_LOG_RE line, else print those lines and fail it.
kpm_log_verdict() {
	_kpm_bad=$(printf '%s\n' "$2" | grep -E "$KPM_BAD_LOG_RE")
	if [ -n "$_kpm_bad" ]; then
		echo "$_kpm_bad" | sed 's/^/# dmesg: /'
		ktap_fail "$1"
		return 1
	fi
	ktap_pass "$1"
}

kpm_check_dmesg() {
	kpm_log_verdict "$1" "$(kpm_dmesg_since_mark)"
}

# kpm_check_boot_log DESC: the kernel log of the whole boot is clean.
kpm_check_boot_log() {
	kpm_log_verdict "$1" "$(dmesg)"
}

# kpm_lockdep_on: lockdep has not turned itself off (it does after its
# first report): debug_locks is 1 in /proc/lockdep_stats.
kpm_lockdep_on() {
	grep -E "^ *debug_locks: +1$" /proc/lockdep_stats ||
		{ grep debug_locks /proc/lockdep_stats; return 1; }
}

kpm_stat() {
	sed -n "s/^$1 //p" /proc/kprofmap/stats
}

kpm_stats_hold() {
	_kpm_held=0
	for _kpm_cond in "$@"; do
		# shellcheck disable=SC2086
		set -- $_kpm_cond
		_kpm_a=$1
		_kpm_b=$3
		_kpm_is=
		case "$1" in
		"" | *[!0-9]*) _kpm_a=$(kpm_stat "$1"); _kpm_is="$1 is ${_kpm_a:-missing}" ;;
		esac
		case "$3" in
		"" | *[!0-9]*) _kpm_b=$(kpm_stat "$3"); _kpm_is="${_kpm_is:+$_kpm_is, }$3 is ${_kpm_b:-missing}" ;;
		esac
		if ! [ "$_kpm_a" "$2" "$_kpm_b" ] 2>/dev/null; then
			echo "not so: $_kpm_cond${_kpm_is:+ ($_kpm_is)}"
			_kpm_held=1
		fi
	done
	return $_kpm_held
}

kpm_sum_samples() {
	awk '/^S / { n += $2 } END { print n + 0 }' "$1"
}

kpm_lost_count() {
	sed -n 's/^L \([0-9]*\) .*/\1/p' "$1"
}

kpm_stacks_within() {
	awk -v max="$1" '/^S / { for (f = 7; f <= 8; f++) { s = $f; sub(/^[ku]=/, "", s)
			n = s == "" ? 0 : split(s, a, ","); if (n > top) top = n } }
		END { printf "longest stack: %d frames (at most %d wanted)\n", top, max; exit top > max }' "$2"
}

kpm_loaded() {
	grep -q '^kprofmap ' /proc/modules
}

kpm_load() {
	kpm_dmesg_mark "load kprofmap $*"
	insmod "$KPM_KO" "$@"
}

# A sampled task holds a module reference until its queued user-stack
# work has run (module/uwind.c): the shell running rmmod may be one, and
# its work runs when its wait() for rmmod returns. So: stop sampling (no
# new works), then try again for up to 2 s.
kpm_unload() {
	[ -w /proc/kprofmap/control ] && echo stop >/proc/kprofmap/control
	for _kpm_i in 1 2 3 4 5 6 7 8 9 10; do
		rmmod kprofmap 2>/dev/null && return 0
		sleep 0.2
	done
	rmmod kprofmap
}

# rmmod from this shell, not from a $(...) subshell: while this shell
# waits on a subshell it cannot run a user-stack work queued on it (see
# kpm_unload), and the module stays referenced.
kpm_unload_check() {
	_kpm_log=/tmp/.kpm-rmmod.$$
	if ! kpm_unload >"$_kpm_log" 2>&1; then
		sed 's/^/# rmmod: /' "$_kpm_log"
		rm -f "$_kpm_log"
		ktap_fail "$1"
		return 1
	fi
	rm -f "$_kpm_log"
	kpm_check_dmesg "$1"
}

kpm_kmemleak_check() {
	_kpm_kl=/sys/kernel/debug/kmemleak
	if [ ! -e $_kpm_kl ]; then
		ktap_skip "$1" "no $_kpm_kl (CONFIG_DEBUG_KMEMLEAK)"
		return 0
	fi
	sleep 6
	echo scan >$_kpm_kl
	_kpm_leaks=$(cat $_kpm_kl)
	if [ -n "$_kpm_leaks" ]; then
		echo "$_kpm_leaks" | head -n 80 | sed 's/^/# kmemleak: /'
		ktap_fail "$1"
		return 1
	fi
	ktap_pass "$1"
}

# kpm_lost_only_reserve: test condition: of one read of stats (its sums
# are consistent, unlike two reads while sampling), every lost sample was
# lost to a full reserve. Prints both counts.
kpm_lost_only_reserve() {
	_kpm_st=$(cat /proc/kprofmap/stats)
	_kpm_l=$(echo "$_kpm_st" | sed -n 's/^lost //p')
	_kpm_r=$(echo "$_kpm_st" | sed -n 's/^lost_reserve //p')
	echo "# lost $_kpm_l, lost_reserve $_kpm_r (one read of stats)"
	[ -n "$_kpm_l" ] && [ "$_kpm_l" -eq "$_kpm_r" ]
}
