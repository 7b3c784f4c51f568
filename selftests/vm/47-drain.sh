#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 47-drain.sh - drains racing CPU hotplug lose nothing and count nothing
# twice (issue 11): while two workloads are sampled at 999 Hz and CPU 1
# goes offline and back in a loop, a reader drains DRAINS (1000) times,
# each window into its own file, and more until CPU 1 has cycled
# DRAINS / 100 times. After the last drain:
#  - every drain completed and read to its end (no error);
#  - each window's records are unique, and every 25th window's well
#    formed (kpm_check -C);
#  - the windows' samples add up to stored, and their L records to lost:
#    every sample in exactly one window;
#  - hotplug cycles ran during the drains (at least DRAINS / 100).
# Then the same race with rmmod in the middle: drains, hotplug and the
# unload all finish, and the kernel log stays clean.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
kpm_require_cmd taskset
ktap_header
ktap_plan 8

W=/kpm/selftests/workloads
CHECK=/kpm/selftests/vm/kpm_check
DRAINS_PROG=/kpm/selftests/vm/kpm_drains
CPU1=/sys/devices/system/cpu/cpu1/online
D=/tmp/drains.$$
DRAINS=${KPM_DRAINS:-1000}
[ -e $CPU1 ] || ktap_bail "no CPU 1 to take offline"

# hotplug_loop FILE: CPU 1 offline and back, then a pause, until FILE
# exists; counts the cycles in FILE.cycles. A drain waits for a hotplug
# operation in progress (collection holds the CPU hotplug lock for
# read), and on the debug kernel an offline takes 2 to 3 s of guest time:
# back to back, the cycles would leave the drains little time to run.
# The debug kernel also drains 200 times, not 1000: a drain takes 0.35
# to 0.7 s of wall time there (300 drains took 217 s of a CI run with
# 1 s pauses, which left a hotplug operation in progress half the time),
# 0.007 s on 6.1.
case "$(uname -r)" in
*-kpm-debug) PAUSE=3 DRAINS=${KPM_DRAINS:-200} ;;
*) PAUSE=0 ;;
esac
MINCYCLES=$((DRAINS / 100))
hotplug_loop() {
	_n=0
	while [ ! -e "$1" ]; do
		echo 0 >$CPU1 && echo 1 >$CPU1 && _n=$((_n + 1))
		echo $_n >"$1.cycles"
		sleep $PAUSE
	done
}

uptime_s() {
	cut -d. -f1 /proc/uptime
}

mkdir -p $D
kpm_load freq=999 max_entries=262144 || ktap_bail "insmod failed"
# A few stacks a CPU, so each window is small and a drain is quick.
taskset 1 $W/kpm_chain 600 >/dev/null & w0=$!
taskset 2 $W/kpm_chain 600 >/dev/null & w1=$!
hotplug_loop $D/stop & hp=$!
t0=$(uptime_s)
# The windows go to $D/w; the drains' errors to $D/err.
mkdir -p $D/w
# In batches of 100 until DRAINS are done and CPU 1 has cycled
# MINCYCLES times (drains can outrun the hotplug loop).
n=0
drc=0
while [ $n -lt $DRAINS ] || [ "$(cat $D/stop.cycles 2>/dev/null || echo 0)" -lt $MINCYCLES ]; do
	$DRAINS_PROG 100 $D/w $n 2>>$D/err || { drc=1; break; }
	n=$((n + 100))
done
ktap_diag "$n drains in $(($(uptime_s) - t0)) s"
: >$D/stop
wait $hp
echo stop >/proc/kprofmap/control
cat /proc/kprofmap/drain >$D/w/last 2>>$D/err || drc=1
kill $w0 $w1
wait $w0 $w1 2>/dev/null
cycles=$(cat $D/stop.cycles 2>/dev/null || echo 0)
stored=$(kpm_stat stored)
lost=$(kpm_stat lost)
# One awk over every window (an exec a window is slow on the debug
# kernel): samples, lost and keys seen twice in one window.
set -- $(awk '$1 == "S" { n += $2; k = FILENAME; for (i = 3; i <= NF; i++) k = k " " $i; if (seen[k]++) d++ }
	      $1 == "L" { l += $2 }
	      END { print n + 0, l + 0, d + 0 }' $D/w/*)
sum=$1 lsum=$2 dups=$3
# kpm_check (well formed: G/M/C before use, L last) on every 25th window
# and the last.
bad=0
for f in $(ls $D/w | awk '$1 == "last" || $1 % 25 == 0'); do
	$CHECK -f $D/w/$f -C -m 0 >/dev/null 2>&1 || { bad=$((bad + 1)); echo "# window $f: kpm_check failed"; }
done
ktap_diag "$n drains and $cycles hotplug cycles: windows hold $sum samples, $lsum lost; stats: stored $stored, lost $lost"
ktap_result "every drain completed and was read to its end" \
	sh -c "cat $D/err; [ $drc -eq 0 ] && [ \$(ls $D/w | wc -l) -eq $((n + 1)) ]"
ktap_result "each window's records unique ($dups seen twice), every 25th well formed ($bad not)" \
	test $dups -eq 0 -a $bad -eq 0
ktap_result "every stored sample in exactly one window ($sum of $stored)" test $sum -eq $stored
ktap_result "every lost sample in exactly one window's L record ($lsum of $lost)" test $lsum -eq $lost
ktap_result "$n >= $DRAINS drains, CPU 1 offline and back $cycles >= $MINCYCLES times during them" \
	test $n -ge $DRAINS -a $cycles -ge $MINCYCLES
kpm_unload_check "unload, log clean"
rm -rf $D

# rmmod in the middle of the race: every command finishes, the unload
# included (EBUSY while a drain file is open is allowed: it is retried).
mkdir -p $D
kpm_load freq=999 max_entries=262144 || ktap_bail "insmod failed"
$W/kpm_chain 600 >/dev/null & w0=$!
hotplug_loop $D/stop & hp=$!
(while [ ! -e $D/stop ]; do cat /proc/kprofmap/drain >/dev/null 2>&1; done) & dr=$!
sleep 2
n=0
until rmmod kprofmap 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 100 ] || break
	sleep 0.1
done
: >$D/stop
wait $hp $dr
kill $w0
wait $w0 2>/dev/null
ktap_result "rmmod while drains and hotplug race: unloaded ($n retries)" \
	sh -c "! grep -q '^kprofmap ' /proc/modules"
kpm_check_dmesg "after that unload, log clean"
rm -rf $D
ktap_finished
