#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 25-options.sh - what idle= and max_depth= do to the records:
#  - idle=0 (default) counts idle ticks in stats but stores no sample of
#    the idle task; idle=1 stores them as tgid 0, tid 0, comm swapper/N;
#  - max_depth cuts stacks and marks the cut: kpm_chain's user stack
#    (chain_leaf, chain_b, chain_a, main, libc...) at max_depth=2 keeps
#    exactly 2 user frames with the U flag, by .eh_frame (unwind=1) and
#    by frame pointer (unwind=0); at max_depth=1 by frame pointer, the
#    leaf alone; a stack shorter than max_depth has no U flag.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header
ktap_plan 16

W=/kpm/selftests/workloads
CHECK=/kpm/selftests/vm/kpm_check

# no_idle_records FILE: FILE has no record of the idle task.
no_idle_records() {
	! grep -q '^S [0-9]* 0 0 ' "$1"
}

# idle_records_are_swapper FILE: FILE has idle records (tgid 0, tid 0,
# comm swapper/N, a kernel stack), none with a user stack.
idle_records_are_swapper() {
	grep -Eq '^S [0-9]+ 0 0 swapper/[0-9]+ - k=[0-9a-f]' "$1" &&
		! grep -E '^S [0-9]+ 0 0 ' "$1" | grep -qv ' u= m=0 c=[0-9]*$'
}

# u_marked FILE MIN MAX: of kpm_chain ($pid)'s user-mode samples, the
# share that carries the U (cut) flag is in [MIN, MAX].
u_marked() {
	awk -v p=$pid -v lo="$2" -v hi="$3" '$1 == "S" && $3 == p && $5 == "kpm_chain" && $7 == "k=" { all += $2; if ($6 ~ /U/) cut += $2 }
		END { print "# U-marked", cut + 0, "of", all + 0; exit !(all > 0 && cut >= lo * all && cut <= hi * all) }' "$1"
}

# user_stacks_cut FILE CHAIN: kpm_chain ($pid)'s user-mode samples start
# with CHAIN (kpm_check -u), and >= 90% of them carry the U flag.
user_stacks_cut() {
	$CHECK -f "$1" -p $pid -s $W/kpm_chain.syms -u "$2" -K -m 0.9 -n 1 &&
		u_marked "$1" 0.9 1
}

# depth_run OPTIONS...: kpm_chain's run under kprofmap loaded with
# OPTIONS; its samples in /tmp/depth.txt, its pid in $pid.
depth_run() {
	kpm_load freq=999 autostart=0 "$@" || ktap_bail "insmod $* failed"
	echo start >/proc/kprofmap/control
	$W/kpm_chain 1 >/dev/null & pid=$!
	wait $pid
	cat /proc/kprofmap/samples >/tmp/depth.txt
}

# depth_cut UNWIND DEPTH CHAIN: at max_depth=DEPTH, kpm_chain's user
# stacks are CHAIN, marked U, and no stack is longer (3 points).
depth_cut() {
	depth_run unwind=$1 max_depth=$2
	ktap_result "max_depth=$2, unwind=$1: kpm_chain's user stacks cut to $3, marked U (>= 90% of user-mode samples)" \
		user_stacks_cut /tmp/depth.txt "$3"
	ktap_result "max_depth=$2, unwind=$1: no stack longer than $2 frames of either kind" \
		kpm_stacks_within "$2" /tmp/depth.txt
	kpm_unload_check "unload (max_depth=$2, unwind=$1), log clean"
}

kpm_load freq=999 || ktap_bail "insmod failed"
sleep 1
cat /proc/kprofmap/samples >/tmp/idle0.txt
ktap_result "idle=0: idle ticks counted in stats" kpm_stats_hold "idle -gt 0"
ktap_result "idle=0: no sample of the idle task stored" \
	no_idle_records /tmp/idle0.txt
kpm_unload_check "unload (idle=0), log clean"

kpm_load freq=999 idle=1 || ktap_bail "insmod idle=1 failed"
sleep 1
cat /proc/kprofmap/samples >/tmp/idle1.txt
ktap_result "idle=1: idle ticks stored as tgid 0, tid 0, comm swapper/N, no user stack" \
	idle_records_are_swapper /tmp/idle1.txt
kpm_unload_check "unload (idle=1), log clean"

# The user stack of a sample in chain_leaf is leaf + 4 callers: cut.
depth_cut 1 2 chain_leaf,chain_b
depth_cut 0 2 chain_leaf,chain_b
depth_cut 0 1 chain_leaf
depth_run unwind=0
ktap_result "max_depth=64, unwind=0: kpm_chain's user stacks whole, none marked U" \
	u_marked /tmp/depth.txt 0 0
kpm_unload_check "unload (max_depth=64, unwind=0), log clean"
ktap_finished
