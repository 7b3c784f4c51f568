#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 10-load.sh - kprofmap loads with defaults and with every parameter at its
# limits, and each value takes effect: sysfs, stats and the samples header
# show it, and the module behaves by it (stack lengths for max_depth,
# entries for max_entries, idle records for idle, nothing counted before
# "start" for autostart=0, nothing counted at all for noop; the sampling
# rate each freq gives is judged against guest time by 20-sampling.sh).
# Out-of-range values are refused with a clear message. Every unload
# leaves a clean kernel log.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header

W=/kpm/selftests/workloads
GOOD="freq=1 freq=10000 max_depth=1 max_depth=255 max_entries=16
max_entries=1048576 idle=1 autostart=0 noop=1 max_maps=16 max_maps=1048576
unwind_steps=256 unwind_steps=65536"
BAD="freq=0 freq=10001 max_depth=0 max_depth=256 max_entries=15
max_entries=1048577 max_maps=15 max_maps=1048577 unwind_steps=128
unwind_steps=3000"

ktap_plan $((4 + 2 + 3 * 13 + 2 * 10))

# is WHAT GOT WANT: true if GOT is WANT, else say what differs.
is() {
	[ "$2" = "$3" ] && return 0
	echo "$1 is '$2', want '$3'"
	return 1
}

param_value() {
	cat /sys/module/kprofmap/parameters/$1
}

# header_field NAME: VALUE of NAME=VALUE in the samples header.
header_field() {
	head -n 1 /proc/kprofmap/samples | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# busy SECONDS: a CPU-bound and a syscall-heavy workload, side by side.
busy() {
	$W/kpm_chain "$1" >/dev/null &
	$W/kpm_readzero "$1" >/dev/null
	wait
}

# many_keys: 40 short CPU-bound processes, each a key of its own (tgid).
many_keys() {
	for _i in $(seq 40); do
		$W/kpm_chain 0.02 >/dev/null
	done
}

# no_records: the samples file holds no S record.
no_records() {
	! grep -q '^S ' /proc/kprofmap/samples || { echo "samples holds S records"; return 1; }
}

# took_effect_NAME VALUE: the loaded module runs with NAME=VALUE.
took_effect_freq() {
	is "sysfs freq" "$(param_value freq)" "$1" && is "stats freq" "$(kpm_stat freq)" "$1" &&
		is "header freq" "$(header_field freq)" "$1"
}

took_effect_max_depth() {
	is "sysfs max_depth" "$(param_value max_depth)" "$1" &&
		is "header max_depth" "$(header_field max_depth)" "$1" &&
		busy 0.3 && kpm_stacks_within "$1" /proc/kprofmap/samples
}

# max_entries: 40 keys or more meet the cap (lost_cap counts the samples
# it turned away, lost_share those the fair share did from 7/8 of it:
# root, whose these all are, holds more than its 25% by then) or fit
# under it.
took_effect_max_entries() {
	is "sysfs max_entries" "$(param_value max_entries)" "$1" &&
		is "stats max_entries" "$(kpm_stat max_entries)" "$1" && many_keys &&
		cat /proc/kprofmap/samples >/dev/null &&
		echo "entries $(kpm_stat entries), lost_cap $(kpm_stat lost_cap), lost_share $(kpm_stat lost_share)" &&
		[ "$(kpm_stat entries)" -le "$1" ] &&
		if [ "$1" -lt 40 ]; then
			[ $(($(kpm_stat lost_cap) + $(kpm_stat lost_share))) -gt 0 ]
		else
			[ $(($(kpm_stat lost_cap) + $(kpm_stat lost_share))) -eq 0 ]
		fi
}

# max_maps: 24 processes, each one executable mapping, meet a cap of 16
# (maps_lost_cap counts the refused captures) or fit under it.
# The step cache is unwind_steps entries of 32 bytes per possible CPU,
# within unwind_bytes beside the rest (under 200000 bytes a CPU).
took_effect_unwind_steps() {
	_n=$(awk -F- '{ print $NF + 1 }' /sys/devices/system/cpu/possible)
	_b=$(kpm_stat unwind_bytes)
	echo "unwind_bytes $_b on $_n CPUs"
	is "sysfs unwind_steps" "$(param_value unwind_steps)" "$1" &&
		[ "$_b" -ge $(($1 * 32 * _n)) ] &&
		[ "$_b" -lt $(($1 * 32 * _n + 200000 * _n)) ]
}

took_effect_max_maps() {
	is "sysfs max_maps" "$(param_value max_maps)" "$1" &&
		is "stats max_maps" "$(kpm_stat max_maps)" "$1" &&
		for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24; do
			$W/kpm_keys 10 0.05 >/dev/null || return 1
		done &&
		echo "maps_held $(kpm_stat maps_held), maps_lost_cap $(kpm_stat maps_lost_cap)" &&
		[ "$(kpm_stat maps_held)" -le "$1" ] &&
		if [ "$1" -lt 24 ]; then [ "$(kpm_stat maps_lost_cap)" -gt 0 ]; else [ "$(kpm_stat maps_lost_cap)" -eq 0 ]; fi
}

took_effect_idle() {
	is "sysfs idle" "$(param_value idle)" Y && sleep 0.3 &&
		grep -Eq '^S [0-9]+ 0 0 swapper/[0-9]+ ' /proc/kprofmap/samples
}

# autostart=0: nothing counted until "start", then the timers run.
took_effect_autostart() {
	is "sysfs autostart" "$(param_value autostart)" N &&
		is "stats sampling" "$(kpm_stat sampling)" 0 && busy 0.3 &&
		is "ticks before start" "$(kpm_stat ticks)" 0 &&
		is "samples before start" "$(kpm_stat samples)" 0 && no_records &&
		echo start >/proc/kprofmap/control && sleep 0.2 &&
		is "stats sampling after start" "$(kpm_stat sampling)" 1 &&
		[ "$(kpm_stat ticks)" -gt 0 ]
}

# noop=1: sampling, but the timer returns before it counts anything.
took_effect_noop() {
	is "sysfs noop" "$(param_value noop)" Y &&
		is "stats sampling" "$(kpm_stat sampling)" 1 && busy 0.3 &&
		is "ticks" "$(kpm_stat ticks)" 0 && is "samples" "$(kpm_stat samples)" 0 &&
		is "stored" "$(kpm_stat stored)" 0 && no_records
}

defaults_sampling() {
	is "stats sampling" "$(kpm_stat sampling)" 1 && is "stats freq" "$(kpm_stat freq)" 99 &&
		sleep 0.2 && [ "$(kpm_stat ticks)" -gt 0 ]
}

files_modes() {
	ls -ln /proc/kprofmap/ | awk 'NR > 1 { m[$9] = $1 " " $3 } END {
		exit !(m["samples"] == "-r-------- 0" && m["drain"] == "-r-------- 0" &&
		       m["control"] == "--w------- 0" && m["stats"] == "-r-------- 0" &&
		       m["session"] == "--w------- 0") }'
}

header_format() {
	head -n 1 /proc/kprofmap/samples |
		grep -Eq "^kprofmap-samples 4 freq=99 cpus=[0-9]+ start_ns=[0-9]+ end_ns=[0-9]+ max_depth=64$"
}

params_read_only() {
	is "sysfs freq" "$(param_value freq)" 99 &&
		! echo 5 2>/dev/null >/sys/module/kprofmap/parameters/freq
}

# refused_saying MSG: the last insmod was refused, logging "MSG out of range".
refused_saying() {
	kpm_dmesg_since_mark | grep -q "kprofmap: $1 out of range" && ! kpm_loaded
}

# Defaults.
if kpm_load; then
	ktap_pass "load with defaults"
else
	ktap_fail "load with defaults"
fi
ktap_result "defaults: sampling on at 99 Hz, ticks counted" defaults_sampling
ktap_result "files exist with modes 0400/0200 owned by root" files_modes
ktap_result "header names version 4, freq and cpus" header_format
ktap_result "parameters are read-only in sysfs" params_read_only
kpm_unload_check "unload (defaults), log clean"

for p in $GOOD; do
	if kpm_load "$p"; then
		ktap_pass "load $p"
		ktap_result "$p took effect" "took_effect_${p%%=*}" "${p#*=}"
	else
		ktap_fail "load $p"
		ktap_fail "$p took effect"
	fi
	kpm_unload_check "unload ($p), log clean"
done

for p in $BAD; do
	if kpm_load "$p" 2>/dev/null; then
		ktap_fail "refuse $p"
		kpm_unload
	else
		ktap_pass "refuse $p"
	fi
	ktap_result "refusal of $p says '$p out of range'" refused_saying "$p"
done

ktap_finished
