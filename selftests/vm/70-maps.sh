#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 70-maps.sh - mapping records (module/maps.c): every sampled process's
# executable file mappings, taken in its own context, printed before the
# samples that name them (G and M lines, m= on each S line). Judged from
# the records alone (kpm_check -g: every user frame in a mapping of the
# sample's own generation, the leaf's in the named file). User-mode
# samples (-K) where the check wants all of them: a sample inside a
# system call is walked by frame pointer in the timer, and through glibc's
# frameless startup code that walk can end in made-up return addresses,
# which lie in no mapping (issue 9's business, not the records'):
#  - an exited process: kpm_chain, read after it has exited, >= 95% of its
#    user samples mapped, leaf in kpm_chain;
#  - 50 short-lived children of one shell, one after another: every user
#    sample of each mapped in its own binary, >= 45 of them seen;
#  - dlopen: kpm_dlopen loads libkpm_dl.so after its first samples and
#    spins in it: those samples are mapped in the library (a second
#    generation, maps_dlopen > 0);
#  - exec: one pid runs kpm_exec then execs kpm_chain: each image's
#    samples are mapped in its own binary, under different generations;
#  - the cap: max_maps=16 and 24 processes: captures refused and counted,
#    and every m= still names a G line of the file;
#  - build ids: the 50 children's captures take kpm_keys' from the
#    cache (maps_bid_cached up by >= 40), and every M line of kpm_keys
#    has the one build id; a file rewritten in place (same inode, same
#    size, another build id) is recorded with its new build id, not the
#    cached one;
#  - a path longer than the 256-byte buffer d_path() is tried in first
#    is recorded whole;
#  - a process with 41 executable file mappings (more than the 32 a
#    capture remembers on its counting walk): its generation has them
#    all (40 copies of kpm_chain's first page, and kpm_maps);
#  - the files of exited processes are let go of while sampling goes on:
#    a tmpfs that held a sampled program unmounts within 10 s (reaps
#    are once a second, and put the files once a grace period has ended);
#    and after a stop, once a drain has found the process gone;
#  - window ends free the generations of exited processes
#    (maps_freed > 0), and the log stays clean.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header
ktap_plan 20

W=/kpm/selftests/workloads
CHECK=/kpm/selftests/vm/kpm_check
S=/tmp/maps.$$

# records_of COMM FILE: FILE's header and mapping records, and the S
# records of COMM only.
records_of() {
	awk -v c="$1" '$1 != "S" || $5 == c' "$2"
}

# gens_of COMM FILE: the generations COMM's records name, one a line.
gens_of() {
	awk -v c="$1" '$1 == "S" && $5 == c { g = $9; sub(/^m=/, "", g); if (g + 0) print g }' "$2" | sort -u
}

kpm_load freq=999 || ktap_bail "insmod failed"

# An exited process.
$W/kpm_chain 1 >/dev/null & pid=$!
wait $pid
cat /proc/kprofmap/drain >$S
ktap_result "exited process: >= 95% of kpm_chain's user-mode samples mapped, leaf in kpm_chain" \
	$CHECK -f $S -p $pid -K -g /kpm/selftests/workloads/kpm_chain -m 0.95 -n 200

# Short-lived children, one after another.
cached0=$(kpm_stat maps_bid_cached)
sh -c "for i in \$(seq 50); do $W/kpm_keys 10 0.02 >/dev/null; done"
cached1=$(kpm_stat maps_bid_cached)
cat /proc/kprofmap/drain >$S
children=$(awk '$1 == "S" && $5 == "kpm_keys" && $9 != "m=0" { print $3 }' $S | sort -u | wc -l)
ngens=$(gens_of kpm_keys $S | wc -l)
ktap_diag "children with mapped samples: $children of 50, under $ngens generations"
records_of kpm_keys $S >$S.keys
ktap_result "50 children: every user-mode sample of each mapped in kpm_keys" \
	$CHECK -f $S.keys -K -g /kpm/selftests/workloads/kpm_keys -m 1 -n 200
ktap_result "50 children: >= 45 of them seen, each under its own generation" \
	[ "$children" -ge 45 -a "$ngens" -ge "$children" ]

# bids_of PATH FILE: the distinct build ids FILE's M lines give PATH.
bids_of() {
	awk -v p="$1" '$1 == "M" && $NF == p { print $6 }' "$2" | sort -u
}
keys_bid=$(bids_of $W/kpm_keys $S)
ktap_diag "kpm_keys: build ids $(echo $keys_bid); maps_bid_cached $cached0, then $cached1"
children_cached() {
	[ "$(echo "$keys_bid" | wc -w)" -eq 1 ] && [ "$keys_bid" != - ] &&
		[ $((cached1 - cached0)) -ge 40 ]
}
ktap_result "50 children: one build id for kpm_keys, >= 40 from the cache (maps_bid_cached)" \
	children_cached

# The same file (inode) rewritten in place, same size, between two runs:
# kpm_bid1 and kpm_bid2 differ in their build ids only (linked with
# --build-id=0x1111... and 0x2222...). The copy is 3 s old by the first
# run, so that its id is cached (not within 2 s of its mtime); the second
# capture must not take it from there.
mkdir -p /tmp/inplace
cp $W/kpm_bid1 /tmp/inplace/prog
sleep 3
/tmp/inplace/prog 0.3 >/dev/null
cat /proc/kprofmap/drain >$S.1
ino1=$(ls -i /tmp/inplace/prog | awk '{ print $1 }')
cat $W/kpm_bid2 >/tmp/inplace/prog
ino2=$(ls -i /tmp/inplace/prog | awk '{ print $1 }')
/tmp/inplace/prog 0.3 >/dev/null
cat /proc/kprofmap/drain >$S.2
in1=$(bids_of /tmp/inplace/prog $S.1)
in2=$(bids_of /tmp/inplace/prog $S.2)
ktap_diag "rewritten in place (inode $ino1, then $ino2): build id $in1, then $in2"
ktap_result "rewritten in place, same size: the new contents' build id, not the cached one" \
	[ "$ino1" = "$ino2" -a "$in1" = 1111111111111111111111111111111111111111 \
		-a "$in2" = 2222222222222222222222222222222222222222 ]

# A path longer than d_path()'s first buffer (256 bytes).
long=/tmp
for i in 1 2 3 4 5 6; do long=$long/0123456789abcdef0123456789abcdef0123456789abcdef; done
mkdir -p $long
cp $W/kpm_chain $long/kpm_chain
$long/kpm_chain 0.5 >/dev/null & pid=$!
wait $pid
cat /proc/kprofmap/drain >$S
ktap_diag "a path of $(echo -n $long/kpm_chain | wc -c) bytes"
ktap_result "long path: kpm_chain's user-mode samples mapped in it, the path whole" \
	$CHECK -f $S -p $pid -K -g $long/kpm_chain -m 0.95 -n 100
rm -rf /tmp/inplace /tmp/0123456789abcdef*

# More executable file mappings than the capture's first walk remembers.
$W/kpm_maps $W/kpm_chain 40 0.5 & pid=$!
wait $pid
cat /proc/kprofmap/drain >$S
# maps_in GEN PATH: how many of generation GEN's M lines are of PATH.
maps_in() {
	awk -v g="$1" -v p="$2" '$1 == "M" && $2 == g && $NF == p' $S | wc -l
}
many_maps() {
	local g ok=1

	for g in $(gens_of kpm_maps $S); do
		echo "# kpm_maps generation $g: $(maps_in $g $W/kpm_chain) of kpm_chain," \
			"$(maps_in $g $W/kpm_maps) of kpm_maps"
		[ "$(maps_in $g $W/kpm_chain)" -eq 40 ] &&
			[ "$(maps_in $g $W/kpm_maps)" -eq 1 ] && ok=0
	done
	return $ok
}
ktap_result "41 executable mappings: the child's generation holds each" many_maps

# dlopen after the first samples.
$W/kpm_dlopen $W/libkpm_dl.so 1 & pid=$!
wait $pid
cat /proc/kprofmap/drain >$S
ktap_diag "kpm_dlopen: maps_dlopen $(kpm_stat maps_dlopen), generations $(gens_of kpm_dlopen $S | wc -l)"
ktap_result "dlopen: >= 300 samples mapped with their leaf in libkpm_dl.so" \
	$CHECK -f $S -p $pid -g /kpm/selftests/workloads/libkpm_dl.so -m 0 -n 300
ktap_result "dlopen: a new generation was taken for the library (maps_dlopen > 0)" \
	kpm_stats_hold "maps_dlopen -gt 0"

# exec: the same pid, two images.
$W/kpm_exec 0.5 $W/kpm_chain 1 >/dev/null & pid=$!
wait $pid
cat /proc/kprofmap/drain >$S
records_of kpm_exec $S >$S.a
records_of kpm_chain $S >$S.b
ktap_diag "exec: generations of kpm_exec: $(gens_of kpm_exec $S | tr '\n' ' '), of kpm_chain: $(gens_of kpm_chain $S | tr '\n' ' ')"
ktap_result "exec: kpm_exec's samples mapped in kpm_exec" \
	$CHECK -f $S.a -p $pid -g /kpm/selftests/workloads/kpm_exec -m 0.95 -n 200
ktap_result "exec: kpm_chain's samples, same pid, mapped in kpm_chain" \
	$CHECK -f $S.b -p $pid -g /kpm/selftests/workloads/kpm_chain -m 0.95 -n 400
gens_apart() {
	gens_of kpm_exec $S >$S.ga && gens_of kpm_chain $S >$S.gb &&
		[ -s $S.ga ] && [ -s $S.gb ] && ! grep -Fxqf $S.ga $S.gb
}
ktap_result "exec: the two images' samples name different generations" gens_apart

# An exited process's files are put while sampling goes on: its file
# system unmounts (EBUSY while a generation holds the file).
mkdir -p /tmp/mnt
mount -t tmpfs none /tmp/mnt
cp $W/kpm_chain /tmp/mnt/prog
/tmp/mnt/prog 0.3 >/dev/null
unmounted() {
	local i=0

	while [ $i -lt 100 ]; do
		if umount /tmp/mnt 2>/dev/null; then
			echo "# unmounted after $i tries, 0.1 s apart"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "# still busy after 10 s"
	umount -l /tmp/mnt
	return 1
}
ktap_result "exited process: its file is put while sampling goes on (tmpfs unmounts within 10 s)" \
	unmounted

# And when sampling has stopped, where no reap comes: a drain lets go of
# the exited process's files, and they are put after a grace period.
mount -t tmpfs none /tmp/mnt
cp $W/kpm_chain /tmp/mnt/prog
/tmp/mnt/prog 0.3 >/dev/null
echo stop >/proc/kprofmap/control
cat /proc/kprofmap/drain >/dev/null
ktap_result "stopped: a drain lets go of an exited process's file (tmpfs unmounts within 10 s)" \
	unmounted
echo start >/proc/kprofmap/control

# Window ends free what exited processes left (two drains on).
cat /proc/kprofmap/drain >/dev/null
cat /proc/kprofmap/drain >/dev/null
ktap_diag "after three drains: maps_freed $(kpm_stat maps_freed) maps_gens $(kpm_stat maps_gens) maps_images $(kpm_stat maps_images) maps_held $(kpm_stat maps_held)"
ktap_result "window ends freed the generations of exited processes (maps_freed > 0)" \
	kpm_stats_hold "maps_freed -gt 0"
kpm_unload_check "unload, log clean"

# The cap.
kpm_load freq=999 max_maps=16 || ktap_bail "insmod max_maps=16 failed"
for i in $(seq 24); do $W/kpm_keys 10 0.05 >/dev/null; done
echo stop >/proc/kprofmap/control
cat /proc/kprofmap/samples >$S
ktap_diag "max_maps=16: maps_held $(kpm_stat maps_held) maps_lost_cap $(kpm_stat maps_lost_cap) maps_captures $(kpm_stat maps_captures)"
ktap_result "cap: captures refused and counted (maps_lost_cap > 0, maps_held <= 16)" \
	kpm_stats_hold "maps_lost_cap -gt 0" "maps_held -le 16"
ktap_result "cap: every generation a record names is in the file" \
	$CHECK -f $S -m 0
ktap_result "cap: samples total == stored" \
	kpm_stats_hold "stored -eq $(kpm_sum_samples $S)"
kpm_unload_check "unload (max_maps=16), log clean"
rm -f $S $S.*
ktap_finished
