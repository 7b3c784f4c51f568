#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 62-go.sh - user stacks of Go code (module/gopclntab.c): Go binaries
# have no .eh_frame; each frame's SP delta comes from the function's pcsp
# table in .gopclntab.
#  - uw_go (static, Go's own toolchain) spends its time in two frameless
#    leaves called from main.main: main.main must be above each leaf in
#    >= 95% of the leaf's samples (a frame-pointer walk skips the caller
#    of a frameless leaf), and the cumulative shares of main.main and
#    both leaves must be within 5 points of Go's own runtime/pprof
#    profile of the same run (uw_go decodes its profile and prints them;
#    it runs 12 s so that Go's 100 Hz profile has >= 1000 samples);
#  - C programs the module takes for Go (no .eh_frame_hdr, a .gopclntab
#    section: uw_go's table with its bytes, function table or pc-value
#    tables pseudo-random, uw_gobad_*) at 10 kHz: sampled, the tables'
#    faults counted, the kernel log clean.
#
# One vCPU under -icount: the two profilers sample on different clocks
# (kprofmap the guest's wall clock per CPU, Go each thread's CPU time),
# which agree only where guest time does not follow a busy host. On 2
# TCG vCPUs beside another VM, main.main's share came out at 0.85 to
# 0.90 against Go's 0.96 to 0.99; under -icount, 0.9988 against 1.0000.
# kpm-vm: icount
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header
ktap_plan 12

U=/kpm/selftests/unwind
CHECK=/kpm/selftests/vm/kpm_check
S=/tmp/go.$$
stat_of() {
	sed -n "s/^$1 //p" /proc/kprofmap/stats
}

kpm_load freq=999 || ktap_bail "insmod failed"
$U/uw_go 12 /tmp/go.prof >/tmp/go.out 2>/tmp/go.err & pid=$!
wait $pid
rc=$?
cat /proc/kprofmap/samples >$S
sed 's/^/# /' /tmp/go.out /tmp/go.err
n=$(sed -n 's/^pprof samples //p' /tmp/go.out)
ktap_result "uw_go ran, and Go's own profile has >= 1000 samples ($n)" \
	sh -c "[ $rc -eq 0 ] && [ ${n:-0} -ge 1000 ]"
for leaf in main.leafA main.leafB; do
	ktap_result "uw_go: main.main above the frameless $leaf (>= 95% of its samples)" \
		$CHECK -f $S -p $pid -s $U/uw_go.syms -l $leaf \
			-u "$leaf,main.main" -m 0.95 -n 100
done
# Cumulative shares: kprofmap's (all samples of the process) against Go's.
$CHECK -f $S -p $pid -s $U/uw_go.syms -P main.main,main.leafA,main.leafB \
	-m 0 >/tmp/go.cum
cat /tmp/go.cum
for fn in main.main main.leafA main.leafB; do
	k=$(sed -n "s/^# cum $fn //p" /tmp/go.cum)
	g=$(sed -n "s/^pprof cum $fn //p" /tmp/go.out)
	ktap_result "$fn: cumulative share within 5 points of runtime/pprof's (kprofmap $k, Go $g)" \
		awk -v k="$k" -v g="$g" 'BEGIN { d = k - g; if (d < 0) d = -d
			exit !(k != "" && g != "" && d <= 0.05) }'
done
ktap_result "rules read from .gopclntab (unwind_go_rules > 0)" \
	sh -c '[ "$(sed -n "s/^unwind_go_rules //p" /proc/kprofmap/stats)" -gt 0 ]'
kpm_unload_check "unload after uw_go, log clean"

# Hostile .gopclntab at 10 kHz.
kpm_load freq=10000 || ktap_bail "insmod freq=10000 failed"
for mode in random functab pctab; do
	g0=$(stat_of unwind_go_rules)
	$U/uw_gobad_$mode 1.5 & pid=$!
	wait $pid
	cat /proc/kprofmap/samples >$S
	ktap_result "uw_gobad_$mode at 10 kHz: sampled, its .gopclntab read ($(($(stat_of unwind_go_rules) - g0)) rules)" \
		sh -c "[ $(stat_of unwind_go_rules) -gt $g0 ] && grep -q '^S [0-9]* $pid ' $S"
done
ktap_diag "$(grep '^unwind' /proc/kprofmap/stats | tr '\n' ' ')"
kpm_unload_check "unload after hostile .gopclntab, log clean"
rm -f $S /tmp/go.prof /tmp/go.out /tmp/go.err /tmp/go.cum
ktap_finished
