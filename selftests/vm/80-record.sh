#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 80-record.sh - kprof2pprof's record, --pid/--cgroup, cgroup labels and
# follow on the module's session (issue 13); the module's own side is
# 78-session.sh. Profiles are read with kpm_pprof (no go tool pprof here):
#  - record -- sh -c 'A & B; wait', with a CPU hog outside: the profile
#    holds A and B (B exits early) and nothing of the hog, every sample
#    labelled with record's cgroup; the hog's ticks count as filtered;
#    record's cgroup is gone after, the session closed, the filter off;
#  - record's exit status is CMD's, 128 + N for a signal, 130 after
#    SIGINT with the profile written;
#  - a recorder killed with SIGKILL: filter off, session 0; the next
#    record works and removes the cgroup (and command) it left;
#  - another session open: record refuses (EBUSY said), runs nothing;
#    junk filter commands on a session: EINVAL each, the filter stays;
#  - --pid A, --pid A,B, --cgroup PATH (a path, or its directory) keep
#    exactly those tasks;
#  - labels: two cgroups with known workloads, each cgroup's samples
#    hold its workload's functions only;
#  - follow under churn, 10 s windows at 999 Hz (180 s of guest time on
#    6.1, 40 s on the other kernels): the windows are contiguous, their
#    samples sum to the module's stored, nothing lost; kprof2pprof's RSS
#    and the module's bytes over the first and last 30 s as diagnostics.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
K2P=/kpm/kprof2pprof
PP=/kpm/selftests/vm/kpm_pprof
[ -x $K2P ] || ktap_bail "$K2P missing (make -C user)"
[ -x $PP ] || ktap_bail "$PP missing (make -C selftests)"
ktap_header
ktap_plan 32

W=/kpm/selftests/workloads
CG=/sys/fs/cgroup
S=/tmp/record.$$
mkdir -p $S

stat_line() {
	grep "^$1 " /proc/kprofmap/stats
}

# samples FILE: the S lines kpm_pprof prints of profile FILE
samples() {
	$PP "$1" | grep '^S '
}

# labels_of KEY FILE: the values of label KEY in FILE's samples, unique
labels_of() {
	samples "$2" | awk -v k="$1=" '{ for (i = 3; i <= NF && $i != "|"; i++)
		if (index($i, k) == 1) print substr($i, length(k) + 1) }' | sort -u
}

# count_where AWK-COND FILE: samples (their counts) of FILE whose line
# matches AWK-COND ($0 is "S COUNT labels | frames")
count_where() {
	samples "$2" | awk "$1 { n += \$2 } END { print n + 0 }"
}

# wait_for CMD...: up to 20 s for CMD to succeed
wait_for() {
	_i=0
	while ! "$@" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 200 ] || return 1
		sleep 0.1
	done
}

# cgroup_has DIR: DIR's cgroup has a process
cgroup_has() {
	[ -n "$(cat "$1/cgroup.procs" 2>/dev/null)" ]
}

# gone PID: no such process, or a zombie (killed, not reaped yet)
gone() {
	[ ! -e /proc/$1 ] || grep -q '^State:.*Z' /proc/$1/status
}

grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG ||
	ktap_bail "cannot mount cgroup2"

kpm_load freq=999 || ktap_bail "insmod failed"

# --- record a command ---------------------------------------------------------

$W/kpm_keys 50 60 >/dev/null &
hog=$!
sleep 0.5
f0=$(kpm_stat filtered)
$K2P record -o $S/rec.pb.gz -- sh -c \
	"$W/kpm_chain 3 >/dev/null & $W/kpm_split 0.5 >/dev/null; wait" 2>$S/rec.err &
rp=$!
wait $rp
rc=$?
f1=$(kpm_stat filtered)
kill $hog
wait $hog 2>/dev/null
cat $S/rec.err
ktap_diag "record: $(count_where 1 $S/rec.pb.gz) samples: kpm_chain $(count_where '/comm=kpm_chain /' $S/rec.pb.gz), kpm_split $(count_where '/comm=kpm_split /' $S/rec.pb.gz), kpm_keys $(count_where '/comm=kpm_keys /' $S/rec.pb.gz); filtered +$((f1 - f0))"
ktap_result "record -- sh -c 'A & B; wait': exit status 0" test $rc -eq 0
ktap_result "record: A (kpm_chain) in the profile, in chain_leaf (>= 500 samples)" \
	test "$(count_where '/comm=kpm_chain .*chain_leaf/' $S/rec.pb.gz)" -ge 500
ktap_result "record: B (kpm_split, exited early) in the profile (>= 100 samples)" \
	test "$(count_where '/comm=kpm_split .*split_/' $S/rec.pb.gz)" -ge 100
ktap_result "record: no sample of the hog outside (kpm_keys, pid $hog)" \
	test "$(count_where "/comm=kpm_keys |pid=$hog /" $S/rec.pb.gz)" -eq 0
ktap_result "record: every sample labelled cgroup=/kprofmap-record.$rp" \
	test "$(labels_of cgroup $S/rec.pb.gz)" = "/kprofmap-record.$rp"
ktap_result "stats: the hog's ticks counted as filtered (> 500 more)" \
	test $((f1 - f0)) -gt 500
ktap_result "record done: its cgroup removed, session 0, filter off, freq 999" \
	sh -c "test ! -e $CG/kprofmap-record.$rp &&
	       grep -qx 'session 0' /proc/kprofmap/stats &&
	       grep -qx 'filter off' /proc/kprofmap/stats &&
	       grep -qx 'freq 999' /proc/kprofmap/stats"

$K2P record -o $S/x.pb.gz -- sh -c 'exit 7' 2>/dev/null
ktap_result "record: CMD's exit status (7)" test $? -eq 7
$K2P record -o $S/x.pb.gz -- sh -c 'kill -TERM $$' 2>/dev/null
ktap_result "record: 128 + 15 for CMD killed by SIGTERM" test $? -eq 143

# SIGINT (as Ctrl-C would, but to kprof2pprof alone: it passes it on)
$K2P record -o $S/int.pb.gz -- $W/kpm_chain 60 >/dev/null 2>$S/int.err &
rp=$!
wait_for cgroup_has $CG/kprofmap-record.$rp
sleep 2
t0=$(date +%s)
kill -INT $rp
wait $rp
rc=$?
cat $S/int.err
ktap_result "record: SIGINT stops CMD, exit status 130" \
	test $rc -eq 130 -a $(($(date +%s) - t0)) -lt 60
ktap_result "record: after SIGINT the profile is written, with CMD's samples" \
	test "$(count_where '/comm=kpm_chain .*chain_leaf/' $S/int.pb.gz)" -ge 200

# --- a recorder killed with SIGKILL -----------------------------------------

$K2P record -o $S/k.pb.gz -- $W/kpm_chain 60 >/dev/null 2>/dev/null &
rp=$!
wait_for cgroup_has $CG/kprofmap-record.$rp
cp=$(head -n 1 $CG/kprofmap-record.$rp/cgroup.procs)
ktap_result "while recording: session 1, filter cgroup=/kprofmap-record.$rp" \
	sh -c "grep -qx 'session 1' /proc/kprofmap/stats &&
	       grep -qx 'filter cgroup=/kprofmap-record.$rp' /proc/kprofmap/stats"
kill -KILL $rp
wait $rp 2>/dev/null
wait_for grep -qx 'session 0' /proc/kprofmap/stats
ktap_result "recorder killed (SIGKILL): filter off, session 0" \
	sh -c "grep -qx 'session 0' /proc/kprofmap/stats &&
	       grep -qx 'filter off' /proc/kprofmap/stats"
ktap_result "recorder killed: its cgroup and command are left" \
	sh -c "test -d $CG/kprofmap-record.$rp && kill -0 $cp"
$K2P record -o $S/k2.pb.gz -- true 2>$S/k2.err
rc=$?
cat $S/k2.err
wait_for gone $cp
ktap_result "the next record works and removes the leftover cgroup, killing its command" \
	sh -c "test $rc -eq 0 && test ! -e $CG/kprofmap-record.$rp &&
	       grep -q 'removed $CG/kprofmap-record.$rp, left by' $S/k2.err &&
	       { test ! -e /proc/$cp || grep -q '^State:.*Z' /proc/$cp/status; }"

# --- another session open; junk commands --------------------------------

$W/kpm_chain 60 >/dev/null &
a=$!
$W/kpm_split 60 >/dev/null &
b=$!
exec 3>/proc/kprofmap/session || ktap_bail "cannot open the session"
$K2P record -o $S/busy.pb.gz -- touch $S/ran 2>$S/busy.err
rc=$?
cat $S/busy.err
ktap_result "another session open: record exits 1, says so, runs nothing" \
	sh -c "test $rc -eq 1 && test ! -e $S/ran &&
	       grep -q 'another kprofmap session is active' $S/busy.err"
echo "filter pid=$a" >&3
for junk in "filter" "filter pid=" "filter pid=x" "filter pid=1,,2" \
	"filter cgroup=" "filter cgroup=relative" "filter pidd=1" \
	"freq 0" "freq 10001" "freq x" "resett"; do
	out=$( (echo "$junk" >&3) 2>&1) && echo "'$junk' accepted"
	case "$out" in
	*"Invalid argument"*) ;;
	*) echo "'$junk': $out" ;;
	esac
done >$S/junk
cat $S/junk
ktap_result "11 junk commands on the session: EINVAL each" test ! -s $S/junk
ktap_result "after the junk: the session's filter unchanged" \
	test "$(stat_line filter)" = "filter pid=$a"
exec 3>&-

# --- --pid, --cgroup ----------------------------------------------------------

$K2P --pid $a --duration 2 -o $S/pa.pb.gz 2>/dev/null
ktap_result "--pid A: A's samples only" \
	test "$(labels_of pid $S/pa.pb.gz)" = "$a"
$K2P --pid $a,$b --duration 2 -o $S/pab.pb.gz 2>/dev/null
ktap_result "--pid A,B: A's and B's samples, nothing else" \
	test "$(labels_of pid $S/pab.pb.gz | tr '\n' ' ')" = "$(printf '%s\n' $a $b | sort | tr '\n' ' ')"
mkdir -p $CG/kpm-t80
echo $b >$CG/kpm-t80/cgroup.procs
$K2P --cgroup /kpm-t80 --duration 2 -o $S/cg.pb.gz 2>/dev/null
ktap_result "--cgroup /kpm-t80: its task's samples only, labelled cgroup=/kpm-t80" \
	sh -c "test '$(labels_of pid $S/cg.pb.gz)' = $b &&
	       test '$(labels_of cgroup $S/cg.pb.gz)' = /kpm-t80"
$K2P --cgroup $CG/kpm-t80 --duration 2 -o $S/cgdir.pb.gz 2>/dev/null
ktap_result "--cgroup $CG/kpm-t80 (the directory): the same" \
	test "$(labels_of pid $S/cgdir.pb.gz)" = "$b"

# --- labels: two cgroups, known workloads -------------------------------

mkdir -p $CG/kpm-l1 $CG/kpm-l2
echo $a >$CG/kpm-l1/cgroup.procs
echo $b >$CG/kpm-l2/cgroup.procs
$K2P --cgroup / --duration 3 -o $S/lab.pb.gz 2>/dev/null
ktap_diag "labels: $(labels_of cgroup $S/lab.pb.gz | tr '\n' ' ')"
ktap_result "cgroup=/kpm-l1: kpm_chain's functions only (>= 500 in chain_leaf, none of kpm_split's)" \
	sh -c "test $(count_where '/cgroup=\/kpm-l1 .*chain_leaf/' $S/lab.pb.gz) -ge 500 &&
	       test $(count_where '/cgroup=\/kpm-l1 .*split_/' $S/lab.pb.gz) -eq 0 &&
	       test $(count_where "/cgroup=\/kpm-l1 / && !/pid=$a /" $S/lab.pb.gz) -eq 0"
ktap_result "cgroup=/kpm-l2: kpm_split's functions only (>= 500 in split_*, none of kpm_chain's)" \
	sh -c "test $(count_where '/cgroup=\/kpm-l2 .*split_/' $S/lab.pb.gz) -ge 500 &&
	       test $(count_where '/cgroup=\/kpm-l2 .*chain_/' $S/lab.pb.gz) -eq 0 &&
	       test $(count_where "/cgroup=\/kpm-l2 / && !/pid=$b /" $S/lab.pb.gz) -eq 0"
kill $a $b
wait $a $b 2>/dev/null
rmdir $CG/kpm-t80 $CG/kpm-l1 $CG/kpm-l2
kpm_unload_check "unload, kernel log clean"

# --- follow under churn -----------------------------------------------------

# 3 minutes on 6.1 (the release kernel), 40 s on the others (the debug
# and RT kernels are slower, 6.12 is checked the same way)
case "$(uname -r)" in
*-rt* | *-kpm-debug) D=40 ;;
6.1.*) D=180 ;;
*) D=40 ;;
esac
kpm_load freq=999 autostart=0 || ktap_bail "insmod failed"
$K2P follow --interval 10s --out-dir $S/fw 2>$S/fw.err &
fp=$!
wait_for grep -qx 'session 1' /proc/kprofmap/stats
sleep 0.5
s0=$(kpm_stat stored)
echo start >/proc/kprofmap/control
t0=$(date +%s)
# kprof2pprof's RSS and the module's bytes, every 5 s
(
	while kill -0 $fp 2>/dev/null; do
		echo "$(($(date +%s) - t0)) $(awk '$1 == "VmRSS:" { print $2 }' /proc/$fp/status) $(kpm_stat bytes_total)"
		sleep 5
	done
) >$S/rss &
mon=$!
# processes start and end all the time
while [ $(($(date +%s) - t0)) -lt $D ]; do
	$W/kpm_chain 0.2 >/dev/null &
	$W/kpm_split 0.1 >/dev/null
	wait $!
done
echo stop >/proc/kprofmap/control
kill -INT $fp
wait $fp
rc=$?
kill $mon 2>/dev/null
wait $mon 2>/dev/null
cat $S/fw.err
s1=$(kpm_stat stored)
lost=$(kpm_stat lost)
: >$S/fw.t
sum=0
for f in $(ls $S/fw); do
	$PP $S/fw/$f >$S/fw.one
	sed -n 's/^T //p' $S/fw.one >>$S/fw.t
	sum=$((sum + $(awk '$1 == "S" { n += $2 } END { print n + 0 }' $S/fw.one)))
done
ktap_diag "follow, $D s: $(ls $S/fw | wc -l) windows, $sum samples in them; stored $s0 -> $s1, lost $lost"
ktap_diag "follow: kprof2pprof RSS kB, first 30 s: $(awk '$1 < 30 { printf "%s ", $2 }' $S/rss); last 30 s: $(awk -v d=$D '$1 >= d - 30 { printf "%s ", $2 }' $S/rss)"
ktap_diag "follow: module bytes_total, first 30 s: $(awk '$1 < 30 { printf "%s ", $3 }' $S/rss); last 30 s: $(awk -v d=$D '$1 >= d - 30 { printf "%s ", $3 }' $S/rss)"
ktap_result "follow: exit status 0 after SIGINT" test $rc -eq 0
# Windows rotate: at least two files. How many is a matter of speed
# (each window's conversion delays the next drain; 40 s gave 3 windows
# on 6.1-debug), so it is printed above, not judged; that no sample falls
# between windows is judged below.
ktap_result "follow: windows rotate (at least 2 files for $D s at 10 s)" \
	test "$(ls $S/fw | wc -l)" -ge 2
# each window's time_nanos is where the last one's time + duration ended
# (in the shell: its arithmetic has 64 bits, awk's doubles do not)
contiguous() {
	_end=
	_n=0
	while read -r _t _d; do
		_n=$((_n + 1))
		if [ -n "$_end" ] && [ "$_t" != "$_end" ]; then
			echo "window $_n starts at $_t, the last ended at $_end"
			return 1
		fi
		_end=$((_t + _d))
	done <$S/fw.t
}
ktap_result "follow: windows contiguous (each starts where the last ended)" \
	contiguous
ktap_result "follow: the windows' samples sum to the module's stored ($sum == $s1 - $s0)" \
	test $sum -eq $((s1 - s0)) -a $sum -gt 0
ktap_result "follow: nothing lost" test "$lost" -eq 0
ktap_result "follow: kprof2pprof's RSS over the last 30 s within 2x its peak over the first 30 s" \
	awk -v d=$D '$1 < 30 && $2 > first { first = $2 } $1 >= d - 30 && $2 > last { last = $2 }
		END { print "# first " first " kB, last " last " kB"; exit !(first > 0 && last <= 2 * first) }' $S/rss

rm -rf $S
kpm_unload_check "unload, kernel log clean"
ktap_finished
