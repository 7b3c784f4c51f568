#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - `make bench`: what a sample costs, what profiling costs a
# workload, what the export weighs; kprofmap next to perf and bpftrace.
# Prints one table. Method and last results: Documentation/performance.rst.
#
#   scripts/bench.sh
#
#  1. core     bench/profmap_bench (module/profmap.c compiled in userspace,
#              -O2): ns and instructions per sample for the hash, hit and
#              miss paths on a generated trace; bytes per unique stack.
#              Then the same program replays the trace it wrote, as anyone
#              can replay their own (bench/profmap_bench --help).
#  2. overhead VM, 1 vCPU, -icount shift=0 (guest time = instructions, so
#              the figures do not depend on how busy the host is): fixed
#              work under three user stacks, bench/kpm_spin at 4 and 44
#              frames (clang, frame pointers) and bench/kpm_deep at 40
#              (gcc -O2 -fomit-frame-pointer, .eh_frame_hdr), with no
#              profiler, the noop floor, kprofmap unwind=1 (the default)
#              and unwind=0, perf record -a -g, perf record -a
#              --call-graph dwarf and bpftrace, each at every frequency,
#              each (profiler, frequency, workload) one profiler session
#              of RUNS runs; median of the runs. kprofmap's stats give
#              each session's user depth and rule-cache hit rate.
#              bpftrace gets its own VM (3 GB: its libraries make the
#              initramfs ~200 MB) with its own no-profiler runs.
#  3. export   VM, 2 vCPUs (no -icount: it hangs with 2 vCPUs here):
#              bench/kpm_manystacks under kprofmap and perf at 999 Hz with
#              a reader looping on /proc/kprofmap/samples; sizes and times;
#              kprof2pprof on BIG_STACKS unique stacks.
#
# Exits non-zero when a build or run fails; a figure that misses its
# target is reported in the table, never an error.
#
# Environment:
#   BENCH_QUICK=1   a subset for a quick look (2-3 min instead of 7-9): 999 Hz
#                   only, shorter runs, no bpftrace, 20000 stacks for the
#                   kprof2pprof figure
#   BENCH_OUT=DIR   raw results and the table (default build/bench)
#   BENCH_TABLE_ONLY=1  print the table again from BENCH_OUT's raw results
#                   (with the BENCH_QUICK of the run that made them)
#   KVER            kernel the VM boots and the module is built for: a
#                   release or a short name as setup.sh takes (default 6.1)

set -euo pipefail
. "$(dirname "$0")/common.sh"

KVER=${KVER:-6.1}
OUT=${BENCH_OUT:-$KPM_TOP/build/bench}
QUICK=${BENCH_QUICK:-0}

SHIFT=0			# -icount shift: 1 guest ns = 2^SHIFT instructions
# The workloads of the overhead VM (bench/overhead.sh): N is kpm_spin N
# (frame pointers, N frames), deepN is kpm_deep N (no frame pointers).
WORKLOADS="4 44 deep40"
if [[ $QUICK == 1 ]]; then
	FREQS="999"
	RUNS=3
	ITERS=100000000	# ~0.4 guest s at shift 0
	PROFILERS_BPF=""
	EXPORT_SECS=10
	BIG_STACKS=20000
else
	FREQS="99 999 9999"
	RUNS=3
	ITERS=250000000	# ~1.0 guest s at shift 0
	PROFILERS_BPF="none bpftrace"
	EXPORT_SECS=10
	BIG_STACKS=100000
fi

say() {
	echo "bench: $*" >&2
}

# The perf binary to copy into the VM: Debian's /usr/bin/perf may be a
# wrapper script that execs perf_<version>.
find_perf() {
	local p
	if [[ $(head -c 4 /usr/bin/perf 2>/dev/null) == $'\x7fELF' ]]; then
		echo /usr/bin/perf
		return
	fi
	for p in $(ls -d /usr/bin/perf_[0-9]* /usr/lib/linux-tools*/perf 2>/dev/null | sort -V -r); do
		[[ $(head -c 4 "$p") == $'\x7fELF' ]] && { echo "$p"; return; }
	done
	kpm_die "no perf ELF binary in /usr/bin/perf, /usr/bin/perf_*, /usr/lib/linux-tools*/"
}

# Build the module (scripts/build-module.sh: its own tree under build/,
# W=1, no warnings), kprof2pprof and the benchmarks, then snapshot the
# module and kprof2pprof into $OUT: every VM of this run boots with those
# copies, whatever is rebuilt in the work tree meanwhile.
build() {
	local ko commit
	say "building the module for $KVER, kprof2pprof, bench/"
	"$KPM_TOP/scripts/build-module.sh" --quiet "$KVER" >/dev/null
	ko="$KPM_TOP/build/$KVER/module/kprofmap.ko"
	[[ -f $ko ]] || kpm_die "$ko was not built"
	cp "$ko" "$OUT/kprofmap.ko"
	commit=$(git -C "$KPM_TOP" log -1 --format=%h -- module Kbuild 2>/dev/null || echo unknown)
	git -C "$KPM_TOP" diff --quiet HEAD -- module Kbuild 2>/dev/null ||
		commit+=" plus uncommitted changes"
	echo "module/ at $commit (kprofmap.ko sha256 $(sha256sum "$OUT/kprofmap.ko" | cut -c1-12))" >"$OUT/module.txt"
	# kprof2pprof is optional: its figures are n/a when it does not build.
	rm -f "$OUT/kprof2pprof"
	if make -s -C "$KPM_TOP" user >"$OUT/user-build.log" 2>&1 && [[ -x $KPM_TOP/user/kprof2pprof ]]; then
		cp "$KPM_TOP/user/kprof2pprof" "$OUT/kprof2pprof"
	else
		say "user/kprof2pprof did not build ($OUT/user-build.log): its figures will be n/a"
	fi
	make -s -C "$KPM_TOP/bench"
}

# --add options that put this run's module and kprof2pprof in the VM.
snap_adds() {
	echo "--add $OUT/kprofmap.ko:/kpm/kprofmap.ko"
	[[ -f $OUT/kprof2pprof ]] && echo "--add $OUT/kprof2pprof:/kpm/kprof2pprof"
	return 0
}

# ---------------------------------------------------------------- runs

run_core() {
	say "core: bench/profmap_bench (generated trace, then its replay)"
	"$KPM_TOP/bench/profmap_bench" --write-trace "$OUT/trace.txt" >"$OUT/core.txt"
	"$KPM_TOP/bench/profmap_bench" "$OUT/trace.txt" >"$OUT/replay.txt"
}

# vm_overhead NAME MEM PROFILERS ADD...: one VM boot of bench/overhead.sh.
vm_overhead() {
	local name=$1 mem=$2 profs=$3 add
	shift 3
	local adds=($(snap_adds) --add "$KPM_TOP/bench/kpm_spin:/kpm/kpm_spin"
		--add "$KPM_TOP/bench/kpm_deep:/kpm/kpm_deep"
		--add "$KPM_TOP/bench/lib.sh:/kpm/bench/lib.sh"
		--add "$KPM_TOP/bench/overhead.sh:/kpm/bench/overhead.sh")
	for add in "$@"; do
		adds+=(--add "$add")
	done
	say "overhead VM ($name): $profs at $FREQS Hz, $RUNS runs x $ITERS iterations"
	"$KPM_TOP/scripts/vm-run.sh" --kver "$KVER" --cpus 1 --icount "$SHIFT" --mem "$mem" \
		--timeout 7200 "${adds[@]}" -- \
		"sh /kpm/bench/overhead.sh '$profs' '$FREQS' '$WORKLOADS' $ITERS $RUNS" \
		>"$OUT/overhead-$name.txt" 2>"$OUT/overhead-$name.err" ||
		{ tail -n 30 "$OUT/overhead-$name.txt" "$OUT/overhead-$name.err" >&2; kpm_die "overhead VM ($name) failed"; }
	grep -q OVERHEAD-DONE "$OUT/overhead-$name.txt" || kpm_die "overhead VM ($name) did not finish"
}

run_overhead() {
	# 2 GB: perf --call-graph dwarf writes ~7 KiB a sample to tmpfs,
	# ~500 MB for kpm_deep's runs at 9999 Hz: more than the tmpfs of a
	# 1 GB VM holds.
	vm_overhead main 2048 "none floor kprofmap kprofmap-u0 kprofmap-nocg kprofmap-filt perf perf-dwarf" "$PERF:/usr/bin/perf"
	: >"$OUT/overhead-bpf.txt"
	[[ -n $PROFILERS_BPF ]] &&
		vm_overhead bpf 3072 "$PROFILERS_BPF" "$(command -v bpftrace):/usr/bin/bpftrace"
	return 0
}

run_export() {
	say "export VM: ${EXPORT_SECS}s of kpm_manystacks at 999 Hz on 2 vCPUs, then $BIG_STACKS stacks"
	"$KPM_TOP/scripts/vm-run.sh" --kver "$KVER" --cpus 2 --mem 2048 --timeout 3000 $(snap_adds) \
		--add "$KPM_TOP/bench/kpm_manystacks:/kpm/kpm_manystacks" \
		--add "$KPM_TOP/bench/kpm_run:/kpm/kpm_run" \
		--add "$KPM_TOP/bench/lib.sh:/kpm/bench/lib.sh" \
		--add "$KPM_TOP/bench/export.sh:/kpm/bench/export.sh" \
		--add "$PERF:/usr/bin/perf" -- \
		"sh /kpm/bench/export.sh $EXPORT_SECS 999 9999 $BIG_STACKS" \
		>"$OUT/export.txt" 2>"$OUT/export.err" ||
		{ tail -n 30 "$OUT/export.txt" "$OUT/export.err" >&2; kpm_die "export VM failed"; }
	grep -q EXPORT-DONE "$OUT/export.txt" || kpm_die "export VM did not finish"
}

# ---------------------------------------------------------------- figures

# core KEY [FILE]: a "key value" line of profmap_bench's output.
core() {
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "n/a" }' "${2:-$OUT/core.txt}"
}

# exp KEY: a key=value of the export VM's EXPORT lines ("n/a" if absent).
exp_() {
	sed -n "s/^EXPORT .*\b$1=\([^ ]*\).*/\1/p" "$OUT/export.txt" | tr -d '\r' | tail -n 1 | grep . || echo n/a
}

# median_ns FILE PROF FREQ WORKLOAD: median elapsed ns of those runs.
median_ns() {
	tr -d '\r' <"$1" | awk -v p="$2" -v f="$3" -v n="$4" \
		'$1 == "RESULT" && $2 == "prof=" p && $3 == "freq=" f && $4 == "frames=" n {
			sub("ns=", "", $6); print $6 }' |
		sort -n | awk '{ a[NR] = $1 } END {
			if (!NR) print "n/a"; else if (NR % 2) print a[(NR + 1) / 2];
			else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# spread_ns FILE PROF FREQ WORKLOAD: max - min of those runs, ns.
spread_ns() {
	tr -d '\r' <"$1" | awk -v p="$2" -v f="$3" -v n="$4" \
		'$1 == "RESULT" && $2 == "prof=" p && $3 == "freq=" f && $4 == "frames=" n {
			sub("ns=", "", $6); v = $6 + 0
			if (min == "" || v < min) min = v; if (v > max) max = v }
		END { if (min == "") print "n/a"; else print max - min }'
}

# baseline_cols FILE: the no-profiler median time and the spread of its
# runs, in the columns of each depth.
baseline_cols() {
	local n
	for n in $WORKLOADS; do
		awk -v t="$(median_ns "$1" none 0 "$n")" -v d="$(spread_ns "$1" none 0 "$n")" 'BEGIN {
			if (t == "n/a") printf "  %9s %12s", "n/a", "n/a";
			else printf "  %7.2fms %10.1fus", t / 1e6, d / 1e3 }'
	done
}

# Overhead figures of one profiler row, "slowdown% insns/sample" for
# each workload, into the table; also sets OVH[prof,freq,workload] =
# slowdown and INS[prof,freq,workload] = insns/sample.
declare -A OVH INS
overhead_row() {
	local file=$1 prof=$2 label=$3 f=$4 n base t row="" slow ins
	for n in $WORKLOADS; do
		base=$(median_ns "$file" none 0 "$n")
		t=$(median_ns "$file" "$prof" "$f" "$n")
		if [[ $base == n/a || $t == n/a ]]; then
			slow=n/a ins=n/a
		else
			read -r slow ins < <(awk -v b="$base" -v t="$t" -v f="$f" -v s="$SHIFT" 'BEGIN {
				printf "%+.3f%% %.0f\n", (t - b) * 100 / b, (t - b) / 2 ^ s / (f * t / 1e9) }')
		fi
		OVH[$prof,$f,$n]=${slow%\%}
		INS[$prof,$f,$n]=$ins
		row+=$(printf '  %9s %12s' "$slow" "$ins")
	done
	printf '   %-24s %6s%s\n' "$label" "$f" "$row"
}

# wl_label WORKLOAD: its column title.
wl_label() {
	case $1 in
	deep*) echo "${1#deep}-nofp" ;;
	*) echo "$1-frame" ;;
	esac
}

# info PROF FREQ WORKLOAD KEY: KEY=value of that session's INFO lines in
# overhead-main.txt ("n/a" if absent).
info() {
	tr -d '\r' <"$OUT/overhead-main.txt" | awk -v p="$1" -v f="$2" -v n="$3" -v k="$4" '
		$1 == "INFO" && $2 == "prof=" p && $3 == "freq=" f && $4 == "frames=" n {
			for (i = 5; i <= NF; i++) if (index($i, k "=") == 1) v = substr($i, length(k) + 2) }
		END { print (v == "") ? "n/a" : v }'
}

# info_sum PROF KEY: KEY summed over PROF's sessions.
info_sum() {
	tr -d '\r' <"$OUT/overhead-main.txt" | awk -v p="$1" -v k="$2" '
		$1 == "INFO" && $2 == "prof=" p { for (i = 5; i <= NF; i++)
			if (index($i, k "=") == 1) { s += substr($i, length(k) + 2); seen = 1 } }
		END { print seen ? s : "n/a" }'
}

# perf_lost PROF: LOST records summed over PROF's perf.data files ("n/a"
# without the INFO lines that count them).
perf_lost() {
	tr -d '\r' <"$OUT/overhead-main.txt" | awk -v p="$1" '
		$1 == "INFO" && $2 == "prof=" p && $5 == "lost" { seen = 1
			for (i = 6; i <= NF; i++) if ($i ~ /^LOST=/) s += substr($i, 6) }
		END { print seen ? s + 0 : "n/a" }'
}

# unwind_row PROF LABEL FREQ: kprofmap's depth and rule cache, each workload.
declare -A HIT
unwind_row() {
	local prof=$1 label=$2 f=$3 n row="" depth hit miss smp rate per
	for n in $WORKLOADS; do
		depth=$(info "$prof" "$f" "$n" top_depth)
		hit=$(info "$prof" "$f" "$n" unwind_cache_hit)
		miss=$(info "$prof" "$f" "$n" unwind_cache_miss)
		smp=$(info "$prof" "$f" "$n" samples)
		read -r rate per < <(awk -v h="$hit" -v m="$miss" -v s="$smp" 'BEGIN {
			if (h == "n/a" || m == "n/a") { print "n/a n/a"; exit }
			if (h + m == 0) { print "- -"; exit }
			printf "%.2f%% %.2f\n", h * 100 / (h + m), s ? m / s : 0 }')
		HIT[$prof,$f,$n]="$rate ($miss misses in $smp samples)"
		row+=$(printf '  %6s %8s %8s' "$depth" "$rate" "$per")
	done
	printf '   %-24s %6s%s\n' "$label" "$f" "$row"
}

# maps_cost FREQ WORKLOAD: the mapping records of kprofmap's session
# (unwind=1): captures, guest ns per capture (= instructions under
# -icount shift=0), bytes per mapping held.
maps_cost() {
	local c ns b h
	c=$(info kprofmap "$1" "$2" maps_captures) ns=$(info kprofmap "$1" "$2" maps_capture_ns)
	b=$(info kprofmap "$1" "$2" maps_bytes) h=$(info kprofmap "$1" "$2" maps_held)
	awk -v c="$c" -v ns="$ns" -v b="$b" -v h="$h" 'BEGIN {
		if (c == "n/a" || c == 0 || h == "n/a" || h == 0) { print "n/a"; exit }
		printf "%d captures, %.0f ns a capture, %d mappings held, %.0f bytes a mapping\n", c, ns / c, h, b / h }'
}

# eh_frame_bytes WORKLOAD: bytes of .eh_frame in the workload's binary
# and the libraries ldd names for it (what its samples can step through).
eh_frame_bytes() {
	local bin lib total=0 sz
	case $1 in
	deep*) bin=$KPM_TOP/bench/kpm_deep ;;
	*) bin=$KPM_TOP/bench/kpm_spin ;;
	esac
	for lib in "$bin" $(ldd "$bin" 2>/dev/null | awk '$(NF - 1) ~ /^\// { print $(NF - 1) } $1 ~ /^\// { print $1 }' | sort -u); do
		sz=$(readelf -SW "$lib" 2>/dev/null | awk '$2 == ".eh_frame" { print $6 }')
		total=$((total + 0x${sz:-0}))
	done
	echo "$total"
}

# rule_memory FREQ WORKLOAD: unwind_bytes of kprofmap's session per MB of
# .eh_frame the workload's images hold.
rule_memory() {
	local b e
	b=$(info kprofmap "$1" "$2" unwind_bytes) e=$(eh_frame_bytes "$2")
	awk -v b="$b" -v e="$e" 'BEGIN {
		if (b == "n/a" || e == 0) { print "n/a"; exit }
		printf "unwind_bytes %d (fixed at load: per-CPU step caches and stack copies, not per file) for %d bytes of .eh_frame in its images: %.0f KiB per MB\n", b, e, b / 1024 / (e / 1048576) }'
}

# rel_target PROF LABEL REF REFLABEL DIV WORKLOAD: at 999 Hz, is PROF's
# cost above the floor at most 1/DIV of REF's? ("-" for DIV: the ratio
# only, no target.)
rel_target() {
	local prof=$1 label=$2 ref=$3 rlabel=$4 div=$5 n=$6 f=999 k r fl target ratio v
	k=${OVH[$prof,$f,$n]:-n/a} r=${OVH[$ref,$f,$n]:-n/a} fl=${OVH[floor,$f,$n]:-n/a}
	read -r target ratio < <(awk -v k="$k" -v p="$r" -v fl="$fl" -v d="$div" 'BEGIN {
		if (k == "n/a" || p == "n/a" || fl == "n/a") { print "n/a n/a"; exit }
		printf "%.3f %.2f\n", (d == "-") ? 0 : fl + (p - fl) / d, (p - fl) ? (k - fl) / (p - fl) : 0 }')
	if [[ $div == - ]]; then
		v=info
		printf '   %-7s %s, 999 Hz: (%s - floor) / (%s - floor): ratio %s;\n' "$v" "$(wl_label "$n")" "$label" "$rlabel" "$ratio"
	else
		v=$(verdict "$k" "$target")
		printf '   %-7s %s, 999 Hz: (%s - floor) <= (%s - floor) / %s: ratio %s;\n' "$v" "$(wl_label "$n")" "$label" "$rlabel" "$div" "$ratio"
	fi
	printf '           above the floor %s vs %s insns/sample; totals %s%% vs %s%%, floor %s%%%s\n' \
		"$(awk -v a="${INS[$prof,$f,$n]:-n/a}" -v b="${INS[floor,$f,$n]:-n/a}" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else print a - b }')" \
		"$(awk -v a="${INS[$ref,$f,$n]:-n/a}" -v b="${INS[floor,$f,$n]:-n/a}" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else print a - b }')" \
		"$k" "$r" "$fl" "$([[ $div == - ]] || echo " (target <= +$target%)")"
}

# per_frame PROF: (44-frame - 4-frame) insns/sample / 40 at 999 Hz.
per_frame() {
	awk -v a="${INS[$1,999,44]:-n/a}" -v b="${INS[$1,999,4]:-n/a}" 'BEGIN {
		if (a == "n/a" || b == "n/a") print "n/a"; else printf "%.0f", (a - b) / 40 }'
}

# Compare two numbers: "MET" when $1 <= $2, else "MISSED".
verdict() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a";
		else print (a + 0 <= b + 0) ? "MET" : "MISSED" }'
}

print_table() {
	local qemu guest_kernel host_cpu n f p
	qemu=$(qemu-system-x86_64 --version | head -n 1 | sed 's/QEMU emulator version //')
	host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	guest_kernel="$KVER $(dpkg-query -W -f='(${Version})' "linux-headers-$KVER" 2>/dev/null || true)"

	echo "kprofmap benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "command: $([[ $QUICK == 1 ]] && echo 'BENCH_QUICK=1 ')make bench; guest kernel $guest_kernel; QEMU $qemu"
	echo "host: $host_cpu, $(nproc) CPUs (shared: ns figures are noisy, instruction counts are not)"
	cat "$OUT/module.txt"
	echo
	echo "1. profmap core in userspace (module/profmap.c, gcc -O2, one hot map: 1024 buckets, chain limit 16)"
	sed -n 's/^# profmap_bench [0-9]*: generated trace: /   trace: /p' "$OUT/core.txt"
	echo "   instructions: $(core insns_source) (exact, user mode); ns: fastest of 5 runs per 2048-sample chunk"
	printf '   %-44s %10s %14s %s\n' "path" "ns/sample" "insns/sample" "insns/frame + constant"
	printf '   %-44s %10s %14s %s\n' "hash (keyed multiply-fold, in the walk)" "$(core hash_ns_per_sample)" \
		"$(core hash_insns_per_sample)" "$(core hash_insns_per_frame) x frames + $(core hash_insns_const)"
	printf '   %-44s %10s %14s %s\n' "hit (find, compare, count, move to front)" "$(core hit_ns_per_sample)" \
		"$(core hit_insns_per_sample)" "$(core hit_insns_per_frame) x frames + $(core hit_insns_const)"
	printf '   %-44s %10s %14s\n' "miss (find, alloc, copy, link)" "$(core miss_ns_per_sample)" \
		"$(core miss_insns_per_sample)"
	printf '   %-44s %10s %14s\n' "whole trace from an empty map (add only)" "$(core mixed_ns_per_sample)" \
		"$(core mixed_insns_per_sample)"
	printf '   %-44s %10s %14s %s\n' "replay of the trace file (add only)" "$(core replay_ns_per_sample "$OUT/replay.txt")" \
		"$(core replay_insns_per_sample "$OUT/replay.txt")" "$(core replay_unique_entries "$OUT/replay.txt") unique entries"
	echo "   allocations during $(awk '/^# .*generated/ { for (i = 1; i <= NF; i++) if ($i == "samples,") print $(i - 1) }' "$OUT/core.txt") hits: $(core hit_allocs)"
	echo "   memory per unique stack: $(core mem_bytes_per_stack) bytes held for $(core mem_raw_bytes_per_stack) raw bytes" \
		"(64-byte entry + array; array/raw <= $(core mem_array_over_raw_max)); + $(core mem_bucket_bytes_per_stack) bytes of buckets"
	echo
	echo "2. overhead on fixed work, VM 1 vCPU, -icount shift=$SHIFT (1 guest ns = $((1 << SHIFT)) instruction(s)),"
	echo "   median of $RUNS runs of $ITERS iterations; slowdown vs no profiler; insns/sample = extra guest"
	echo "   instructions / (Hz x run time). Workloads: N-frame = kpm_spin (clang, frame pointers, N frames"
	echo "   by frame pointer, N + 2 by .eh_frame: to _start); 40-nofp = kpm_deep (gcc -O2 -fomit-frame-pointer,"
	echo "   static, .eh_frame_hdr; 40 frames by .eh_frame; a frame-pointer walk gets the leaf and whatever rbp points to)"
	local hdr="" grp="" hdr2=""
	for n in $WORKLOADS; do
		hdr+=$(printf '  %9s %12s' "$(wl_label "$n")" "insns/sample")
	done
	printf '   %-24s %6s%s\n' "profiler" "Hz" "$hdr"
	printf '   %-24s %6s%s\n' "none: time, run spread" "-" "$(baseline_cols "$OUT/overhead-main.txt")"
	for f in $FREQS; do
		overhead_row "$OUT/overhead-main.txt" floor "floor (hrtimer, noop=1)" "$f"
		overhead_row "$OUT/overhead-main.txt" kprofmap "kprofmap unwind=1" "$f"
		overhead_row "$OUT/overhead-main.txt" kprofmap-u0 "kprofmap unwind=0" "$f"
		overhead_row "$OUT/overhead-main.txt" kprofmap-nocg "kprofmap cgroups=0" "$f"
		overhead_row "$OUT/overhead-main.txt" kprofmap-filt "kprofmap, filtered out" "$f"
		overhead_row "$OUT/overhead-main.txt" perf "perf record -a -g" "$f"
		overhead_row "$OUT/overhead-main.txt" perf-dwarf "perf --call-graph dwarf" "$f"
		if [[ -n $PROFILERS_BPF ]]; then
			overhead_row "$OUT/overhead-bpf.txt" bpftrace "bpftrace (own VM)" "$f"
		fi
	done
	[[ -n $PROFILERS_BPF ]] &&
		printf '   %-24s %6s%s\n' "none (bpftrace VM)" "-" "$(baseline_cols "$OUT/overhead-bpf.txt")"
	echo "   perf's event: $(tr -d '\r' <"$OUT/overhead-main.txt" | sed -n 's/^INFO prof=perf freq=[0-9]* frames=[^ ]* event //p' | head -n 1);" \
		"LOST records in perf.data (perf report --stats), all sessions: -g $(perf_lost perf)," \
		"dwarf $(perf_lost perf-dwarf)"
	echo
	echo "   kprofmap's user stacks, from its stats (one load per profiler, Hz and workload): frames = user"
	echo "   depth of the workload's most counted stack; hit rate = unwind_cache_hit / (hit + miss); misses"
	echo "   per sample = unwind_cache_miss / samples"
	for n in $WORKLOADS; do
		grp+=$(printf '  %-24s' "---- $(wl_label "$n") ----")
		hdr2+=$(printf '  %6s %8s %8s' "frames" "hit rate" "miss/smp")
	done
	printf '   %-24s %6s%s\n' "" "" "$grp" | sed 's/ *$//'
	printf '   %-24s %6s%s\n' "kprofmap" "Hz" "$hdr2"
	for f in $FREQS; do
		unwind_row kprofmap "unwind=1" "$f"
		unwind_row kprofmap-u0 "unwind=0" "$f"
	done
	printf '   frames stepped: by .eh_frame rule %s, by frame pointer %s (unwind=1, all loads; fallbacks by cause in overhead-main.txt)\n' \
		"$(info_sum kprofmap unwind_frames_eh)" "$(info_sum kprofmap unwind_frames_fp)"
	echo
	echo "3. export: kpm_manystacks on 2 vCPUs (TCG, no -icount: guest times follow the host), $(exp_ seconds) s at $(exp_ freq) Hz,"
	echo "   kprofmap and perf record -a -g on the same run, a reader looping on /proc/kprofmap/samples"
	printf '   %-46s %s\n' "samples taken / stored / lost / overruns" \
		"$(exp_ samples) / $(exp_ stored) / $(exp_ lost) / $(exp_ overruns) ($(exp_ reader_loops) reads during the run)"
	printf '   %-46s %s\n' "unique stacks" "$(exp_ samples_unique)"
	printf '   %-46s %s\n' "/proc/kprofmap/samples" "$(exp_ samples_bytes) bytes, read in $(awk -v v="$(exp_ read_elapsed_ns)" 'BEGIN { printf "%.1f ms", v / 1e6 }')"
	printf '   %-46s %s\n' "kprof2pprof (from /proc, symbolized)" \
		"$(exp_ pprof_bytes) bytes, $(awk -v v="$(exp_ pprof_elapsed_ns)" 'BEGIN { if (v == "n/a") print "n/a"; else printf "%.1f ms", v / 1e6 }')"
	printf '   %-46s %s\n' "perf.data" "$(exp_ perf_data_bytes) bytes ($(exp_ perf_samples) samples)"
	printf '   %-46s %s\n' "module memory per unique stack (stats)" \
		"$(awk -v b="$(exp_ bytes_total)" -v e="$(exp_ entries)" 'BEGIN { if (e + 0) printf "%.0f bytes", b / e; else print "n/a" }')"
	printf '   %-46s %s\n' "kprof2pprof on $(exp_ big_unique) unique stacks" \
		"$(awk -v t="$(exp_ big_pprof_elapsed_ns)" -v u="$(exp_ big_unique)" -v b="$(exp_ big_pprof_bytes)" 'BEGIN {
			if (t == "n/a") print "n/a (kprof2pprof not available)";
			else printf "%.2f s, %.0f stacks/s, %s bytes out", t / 1e9, u / (t / 1e9), b }'), peak RSS $(sed -n 's/^EXPORT big_pprof_.*maxrss_kb=\([0-9]*\).*/\1/p' "$OUT/export.txt" | tr -d '\r' | grep . || echo n/a) KiB"
	echo
	print_targets
}

print_targets() {
	local per_frame n f=999
	echo "4. targets (issues 5 and 9)"
	per_frame=$(core hit_insns_per_frame)
	printf '   %-7s hit path <= ~10 insns/frame + small constant, 0 allocations: %s insns/frame + %s, %s allocations\n' \
		"$(awk -v p="$per_frame" -v a="$(core hit_allocs)" 'BEGIN { if (p == "n/a") print "n/a"; else print (p <= 10 && a == 0) ? "MET" : "MISSED" }')" \
		"$per_frame" "$(core hit_insns_const)" "$(core hit_allocs)"
	printf '           (with the hash, which the sampler computes during the walk: %s insns/frame)\n' \
		"$(awk -v a="$per_frame" -v b="$(core hash_insns_per_frame)" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else printf "%.1f", a + b }')"
	if [[ " $FREQS " == *" 999 "* ]]; then
		echo "   issue 5, set for the frame-pointer walk in hard irq (now unwind=0):"
		for n in $WORKLOADS; do
			[[ $n == deep* ]] && continue
			rel_target kprofmap-u0 "kprofmap unwind=0" perf "perf -g" 3 "$n"
		done
		printf '   %-7s the issue'"'"'s fixed targets (from its perf figures): 4-frame <= +0.164%%: kprofmap unwind=0 %s%%\n' \
			"$(verdict "${OVH[kprofmap-u0,$f,4]:-n/a}" 0.164)" "${OVH[kprofmap-u0,$f,4]:-n/a}"
		printf '   %-7s the issue'"'"'s fixed targets (from its perf figures): 44-frame <= +0.239%%: kprofmap unwind=0 %s%%\n' \
			"$(verdict "${OVH[kprofmap-u0,$f,44]:-n/a}" 0.239)" "${OVH[kprofmap-u0,$f,44]:-n/a}"
		echo "   issue 9, the .eh_frame unwinder (unwind=1, the default: in hard irq from the step cache, in task context on a miss):"
		for n in $WORKLOADS; do
			[[ $n == deep* ]] && continue
			rel_target kprofmap "kprofmap unwind=1" perf "perf -g" 2 "$n"
		done
		for n in $WORKLOADS; do
			[[ $n == deep* ]] || continue
			rel_target kprofmap "kprofmap unwind=1" perf-dwarf "perf dwarf" 3 "$n"
			rel_target kprofmap "kprofmap unwind=1" perf "perf -g" - "$n"
			printf '   %-7s %s, 999 Hz: user frames of the most counted stack: kprofmap unwind=1 %s, unwind=0 %s\n' \
				info "$(wl_label "$n")" "$(info kprofmap "$f" "$n" top_depth)" "$(info kprofmap-u0 "$f" "$n" top_depth)"
		done
		for n in $WORKLOADS; do
			printf '   %-7s walked in hard irq, unwind=1, %s, 999 Hz: %s of %s samples; %s handed to their task\n' info \
				"$(wl_label "$n")" "$(info kprofmap "$f" "$n" unwind_irq_walks)" \
				"$(info kprofmap "$f" "$n" samples)" "$(info kprofmap "$f" "$n" unwind_queued)"
			printf '   %-7s task-context rule-cache hit rate, unwind=1, %s, 999 Hz: %s\n' info "$(wl_label "$n")" "${HIT[kprofmap,$f,$n]:-n/a}"
		done
		for n in $WORKLOADS; do
			printf '   %-7s mapping records, unwind=1, %s, 999 Hz: %s\n' info "$(wl_label "$n")" "$(maps_cost "$f" "$n")"
		done
		for n in $WORKLOADS; do
			printf '   %-7s memory for rules, unwind=1, %s, 999 Hz: %s\n' info "$(wl_label "$n")" "$(rule_memory "$f" "$n")"
		done
		for n in $WORKLOADS; do
			printf '   %-7s a filtered-out tick (issue 13), %s, 999 Hz: %s insns above the floor (unwind=1 sample: %s)\n' info \
				"$(wl_label "$n")" \
				"$(awk -v a="${INS[kprofmap-filt,$f,$n]:-n/a}" -v b="${INS[floor,$f,$n]:-n/a}" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else print a - b }')" \
				"$(awk -v a="${INS[kprofmap,$f,$n]:-n/a}" -v b="${INS[floor,$f,$n]:-n/a}" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else print a - b }')"
		done
		for n in $WORKLOADS; do
			printf '   %-7s cgroup labels (issue 13), %s, 999 Hz: unwind=1 %s insns/sample above the floor, cgroups=0 %s\n' info \
				"$(wl_label "$n")" \
				"$(awk -v a="${INS[kprofmap,$f,$n]:-n/a}" -v b="${INS[floor,$f,$n]:-n/a}" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else print a - b }')" \
				"$(awk -v a="${INS[kprofmap-nocg,$f,$n]:-n/a}" -v b="${INS[floor,$f,$n]:-n/a}" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else print a - b }')"
		done
		if [[ " $WORKLOADS " == *" 4 "* && " $WORKLOADS " == *" 44 "* ]]; then
			printf '   %-7s cost of a frame-pointer-workload frame, 999 Hz ((44-frame - 4-frame) / 40): unwind=1 %s, unwind=0 %s, perf -g %s insns\n' \
				info "$(per_frame kprofmap)" "$(per_frame kprofmap-u0)" "$(per_frame perf)"
		fi
	fi
	local pb pd
	pb=$(exp_ pprof_bytes) pd=$(exp_ perf_data_bytes)
	printf '   %-7s pprof >= 10x smaller than perf.data: %s\n' \
		"$(awk -v a="$pb" -v b="$pd" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else print (a * 10 <= b) ? "MET" : "MISSED" }')" \
		"$(awk -v a="$pb" -v b="$pd" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else printf "%.1fx (%s vs %s bytes)", b / a, a, b }')"
	printf '   %-7s lost = 0 while a reader loops: lost %s (alloc %s, cap %s), %s reads\n' \
		"$(awk -v l="$(exp_ lost)" 'BEGIN { if (l == "n/a") print "n/a"; else print (l == 0) ? "MET" : "MISSED" }')" \
		"$(exp_ lost)" "$(exp_ lost_alloc)" "$(exp_ lost_cap)" "$(exp_ reader_loops)"
	printf '   %-7s memory <= 1.5 x raw + 64 bytes per unique stack: worst array/raw %s, %s bytes for %s raw on average\n' \
		"$(verdict "$(core mem_array_over_raw_max)" 1.5)" "$(core mem_array_over_raw_max)" \
		"$(core mem_bytes_per_stack)" "$(core mem_raw_bytes_per_stack)"
}

main() {
	local t0
	t0=$(date +%s)
	"$KPM_TOP/scripts/setup.sh" --quiet "$KVER"
	KVER=$(kpm_resolve_kver "$KVER")
	[[ -n $KVER ]] || kpm_die "no kernel headers for the VM kernel (scripts/setup.sh)"
	mkdir -p "$OUT"
	PERF=$(find_perf)
	if [[ ${BENCH_TABLE_ONLY:-0} != 1 ]]; then
		build
		run_core
		run_overhead
		run_export
	fi
	print_table | tee "$OUT/table.txt"
	echo
	echo "wall time: $(( $(date +%s) - t0 )) s; raw results in $OUT/"
}

main "$@"
