#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 78-session.sh - filters, freq and the session file (issue 13), the
# module's side; kprof2pprof's record and follow are 80-record.sh:
#  - filter pid=A keeps exactly A's samples, and counts the others'
#    ticks as filtered; filter cgroup=PATH keeps exactly the tasks of
#    that cgroup v2 subtree; filter off keeps everyone again;
#  - junk commands are refused with EINVAL and change nothing (the stats'
#    filter line stays, and so does the aggregate);
#  - a pid or cgroup that does not exist is refused (ESRCH, ENOENT);
#  - one session at a time (EBUSY), which starts without control's
#    filter; while it is open, control's filter,
#    freq and reset and other processes' drains are refused (EBUSY), the
#    holder drains;
#  - the holder killed with SIGKILL: no filter, no session, the load-time
#    freq, and a new session opens;
#  - cgroup labels: each S record's c= is its task's cgroup v2 id (the
#    directory's inode number), named by a C record before it; a task
#    moved between cgroups has records under each; a cgroup removed
#    before the read keeps its name; cgroups=0 prints c=0 and no C.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header
ktap_plan 31

W=/kpm/selftests/workloads
CG=/sys/fs/cgroup
S=/tmp/session.$$

# The tgids of the S records of samples file $1, one per line, unique.
tgids_of() {
	awk '$1 == "S" { print $3 }' "$1" | sort -u
}

# write CMD to FILE; prints the errno name a failed write gives.
write_err() {
	_out=$( (echo "$1" >"$2") 2>&1) && { echo OK; return; }
	case "$_out" in
	*"Invalid argument"*) echo EINVAL ;;
	*"resource busy"* | *"Resource busy"*) echo EBUSY ;;
	*"No such process"*) echo ESRCH ;;
	*"No such file"*) echo ENOENT ;;
	*"Not a directory"*) echo ENOTDIR ;;
	*) echo "$_out" ;;
	esac
}

expect_err() {	# DESC WANT CMD FILE
	_got=$(write_err "$3" "$4")
	if [ "$_got" = "$2" ]; then
		ktap_pass "$1"
	else
		ktap_diag "'$3' > $4: $_got, want $2"
		ktap_fail "$1"
	fi
}

stat_line() {
	grep "^$1 " /proc/kprofmap/stats
}

grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG ||
	ktap_bail "cannot mount cgroup2"

kpm_load freq=999 || ktap_bail "insmod failed"
$W/kpm_chain 600 >/dev/null &
a=$!
$W/kpm_chain 600 >/dev/null &
b=$!
sleep 1

# --- pid filter ---
# control's reset clears the filter: stopped, reset, then the filter
echo stop >/proc/kprofmap/control
echo reset >/proc/kprofmap/control
echo "filter pid=$a" >/proc/kprofmap/control
f0=$(kpm_stat filtered)
echo start >/proc/kprofmap/control
sleep 2
cat /proc/kprofmap/samples >$S.pid
ktap_result "stats: filter pid=$a" test "$(stat_line filter)" = "filter pid=$a"
ktap_result "filter pid=A: only A's samples" \
	test "$(tgids_of $S.pid)" = "$a"
ktap_result "filter pid=A: B's ticks counted as filtered" \
	test "$(kpm_stat filtered)" -gt "$((f0 + 100))"

# --- junk changes nothing ---
n0=$(kpm_sum_samples $S.pid)
for junk in "filter" "filter pid=" "filter pid=x" "filter pid=1,,2" \
	"filter cgroup=" "filter cgroup=relative" "filter pidd=1" \
	"freq 0" "freq 10001" "freq x" "filterpid=1" "filter pid=+$a" \
	"filter pid=-$a" "filter pid= $a" "freq +99" "freq  99"; do
	got=$(write_err "$junk" /proc/kprofmap/control)
	[ "$got" = EINVAL ] || echo "'$junk': $got"
done >$S.junk
ktap_result "16 junk commands: EINVAL each" test ! -s $S.junk
cat $S.junk
ktap_result "after junk: filter unchanged" \
	test "$(stat_line filter)" = "filter pid=$a"
echo stop >/proc/kprofmap/control
cat /proc/kprofmap/samples >$S.pid2
ktap_result "after junk: aggregate still there (grew from $n0)" \
	test "$(kpm_sum_samples $S.pid2)" -ge "$n0"
echo start >/proc/kprofmap/control
expect_err "a pid that does not exist: ESRCH" ESRCH "filter pid=999999" \
	/proc/kprofmap/control
expect_err "a cgroup that does not exist: ENOENT" ENOENT \
	"filter cgroup=/no-such-kpm-cgroup" /proc/kprofmap/control
expect_err "a cgroup path that names a file: ENOTDIR" ENOTDIR \
	"filter cgroup=/cgroup.procs" /proc/kprofmap/control

# --- cgroup filter ---
mkdir -p $CG/kpm-t78
echo $b >$CG/kpm-t78/cgroup.procs
echo stop >/proc/kprofmap/control
echo reset >/proc/kprofmap/control
echo "filter cgroup=/kpm-t78" >/proc/kprofmap/control
echo start >/proc/kprofmap/control
sleep 2
cat /proc/kprofmap/samples >$S.cg
ktap_result "filter cgroup=/kpm-t78: only its task's samples" \
	test "$(tgids_of $S.cg)" = "$b"
ino=$(stat -c %i $CG/kpm-t78)
ktap_result "C record: /kpm-t78 with its inode number $ino" \
	grep -qx "C $ino /kpm-t78" $S.cg
ktap_result "every S record: c=$ino" \
	sh -c "! awk '\$1 == \"S\"' $S.cg | grep -v ' c=$ino\$'"
# A path with a space and a tab (cgroup names cannot hold a newline):
# stats shows it escaped.
odd=$(printf 'kpm t78\tx')
mkdir "$CG/$odd"
printf 'filter cgroup=/%s\n' "$odd" >/proc/kprofmap/control
ktap_result "stats escapes the filter's cgroup path (a space, a tab)" \
	grep -qx 'filter cgroup=/kpm\\x20t78\\x09x' /proc/kprofmap/stats
echo "filter cgroup=/kpm-t78" >/proc/kprofmap/control
rmdir "$CG/$odd"
# Moved to a second cgroup, which is then removed before the read.
mkdir -p $CG/kpm-t78b
echo "filter cgroup=/" >/proc/kprofmap/control
echo $b >$CG/kpm-t78b/cgroup.procs
ino2=$(stat -c %i $CG/kpm-t78b)
sleep 1
echo $b >$CG/kpm-t78/cgroup.procs
rmdir $CG/kpm-t78b
cat /proc/kprofmap/samples >$S.mv
ktap_result "a moved task: records under both cgroups" \
	sh -c "awk '\$1 == \"S\" && \$3 == $b' $S.mv | grep -q ' c=$ino\$' &&
	       awk '\$1 == \"S\" && \$3 == $b' $S.mv | grep -q ' c=$ino2\$'"
ktap_result "a removed cgroup keeps its name" grep -qx "C $ino2 /kpm-t78b" $S.mv
echo "filter off" >/proc/kprofmap/control
ktap_result "filter off" test "$(stat_line filter)" = "filter off"
sleep 1
cat /proc/kprofmap/samples >$S.off
ktap_result "filter off: both A and B again" \
	sh -c "tgids_of() { awk '\$1 == \"S\" { print \$3 }' \"\$1\" | sort -u; };
	       tgids_of $S.off | grep -qx $a && tgids_of $S.off | grep -qx $b"

# --- the session ---
echo "filter pid=$a" >/proc/kprofmap/control
exec 3>/proc/kprofmap/session || ktap_bail "cannot open the session"
ktap_result "a session starts without control's filter" \
	test "$(stat_line filter)" = "filter off"
ktap_result "stats: session 1" test "$(stat_line session)" = "session 1"
expect_err "a second session: EBUSY" EBUSY "" /proc/kprofmap/session
expect_err "control's reset during a session: EBUSY" EBUSY reset \
	/proc/kprofmap/control
expect_err "control's filter during a session: EBUSY" EBUSY "filter off" \
	/proc/kprofmap/control
ktap_result "another process's drain: refused" \
	sh -c 'cat /proc/kprofmap/drain 2>&1 >/dev/null | grep -q busy'
echo "freq 499" >&3
echo "filter pid=$b" >&3
echo reset >&3
sleep 2
# The shell itself (the holder's thread group) drains.
: >$S.drain
while IFS= read -r line; do
	echo "$line" >>$S.drain
done </proc/kprofmap/drain
ktap_result "the holder drains: freq=499, only B" \
	sh -c "head -n 1 $S.drain | grep -q ' freq=499 ' &&
	       test \"\$(awk '\$1 == \"S\" { print \$3 }' $S.drain | sort -u)\" = $b"
exec 3>&-
ktap_result "closed: no filter, no session, freq 999" \
	sh -c "grep -qx 'filter off' /proc/kprofmap/stats &&
	       grep -qx 'session 0' /proc/kprofmap/stats &&
	       grep -qx 'freq 999' /proc/kprofmap/stats"

# The holder killed: its filter goes with it.
sh -c "exec 3>/proc/kprofmap/session; echo 'filter pid=$a' >&3;
       echo 'freq 250' >&3; kill -STOP \$\$" &
h=$!
i=0
while [ "$(stat_line filter)" != "filter pid=$a" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
ktap_result "a holder's filter is in stats" \
	test "$(stat_line filter)" = "filter pid=$a"
kill -KILL $h
wait $h 2>/dev/null
sleep 1
ktap_result "holder killed: filter off, session 0, freq 999" \
	sh -c "grep -qx 'filter off' /proc/kprofmap/stats &&
	       grep -qx 'session 0' /proc/kprofmap/stats &&
	       grep -qx 'freq 999' /proc/kprofmap/stats"
expect_err "holder killed: a new session opens" OK "filter off" \
	/proc/kprofmap/session

kpm_unload_check "unload, kernel log clean"

kpm_load freq=999 cgroups=0 || ktap_bail "insmod cgroups=0 failed"
sleep 1
cat /proc/kprofmap/samples >$S.nocg
ktap_result "cgroups=0: every S record c=0, no C record" \
	sh -c "grep -q '^S ' $S.nocg && ! grep -q '^C ' $S.nocg &&
	       ! grep '^S ' $S.nocg | grep -v ' c=0\$'"
kill $a $b 2>/dev/null
wait 2>/dev/null
rmdir $CG/kpm-t78
rm -f $S.*
kpm_unload_check "unload (cgroups=0), kernel log clean"
ktap_finished
