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
#  - window ends free the generations of exited processes
#    (maps_freed > 0), and the log stays clean.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header
ktap_plan 14

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
sh -c "for i in \$(seq 50); do $W/kpm_keys 10 0.02 >/dev/null; done"
cat /proc/kprofmap/drain >$S
children=$(awk '$1 == "S" && $5 == "kpm_keys" && $9 != "m=0" { print $3 }' $S | sort -u | wc -l)
ngens=$(gens_of kpm_keys $S | wc -l)
ktap_diag "children with mapped samples: $children of 50, under $ngens generations"
records_of kpm_keys $S >$S.keys
ktap_result "50 children: every user-mode sample of each mapped in kpm_keys" \
	$CHECK -f $S.keys -K -g /kpm/selftests/workloads/kpm_keys -m 1 -n 200
ktap_result "50 children: >= 45 of them seen, each under its own generation" \
	[ "$children" -ge 45 -a "$ngens" -ge "$children" ]

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
