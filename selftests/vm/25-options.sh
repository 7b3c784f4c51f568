#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 25-options.sh - what idle= and max_depth= do to the records:
#  - idle=0 (default) counts idle ticks in stats but stores no sample of
#    the idle task; idle=1 stores them as tgid 0, tid 0, comm swapper/N;
#  - max_depth cuts stacks and marks the cut: kpm_chain's user stack
#    (chain_leaf, chain_b, chain_a, main, libc...) at max_depth=2 keeps
#    exactly 2 user frames with the U flag.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header
ktap_plan 8

W=/kpm/selftests/workloads
CHECK=/kpm/selftests/vm/kpm_check

kpm_load freq=999 || ktap_bail "insmod failed"
sleep 1
cat /proc/kprofmap/samples >/tmp/idle0.txt
ktap_result "idle=0: idle ticks counted in stats" sh -c "[ $(kpm_stat idle) -gt 0 ]"
ktap_result "idle=0: no sample of the idle task stored" \
	sh -c "! grep -q '^S [0-9]* 0 0 ' /tmp/idle0.txt"
kpm_unload_check "unload (idle=0), log clean"

kpm_load freq=999 idle=1 || ktap_bail "insmod idle=1 failed"
sleep 1
cat /proc/kprofmap/samples >/tmp/idle1.txt
ktap_result "idle=1: idle ticks stored as tgid 0, tid 0, comm swapper/N, no user stack" \
	sh -c "grep -Eq '^S [0-9]+ 0 0 swapper/[0-9]+ - k=[0-9a-f]' /tmp/idle1.txt &&
	       ! grep -E '^S [0-9]+ 0 0 ' /tmp/idle1.txt | grep -qv ' u=\$'"
kpm_unload_check "unload (idle=1), log clean"

kpm_load freq=999 max_depth=2 autostart=0 || ktap_bail "insmod max_depth=2 failed"
echo start >/proc/kprofmap/control
$W/kpm_chain 1 >/dev/null & pid=$!
wait $pid
cat /proc/kprofmap/samples >/tmp/depth2.txt
# The user stack of a sample in chain_leaf is leaf + 4 callers: cut to 2.
ktap_result "max_depth=2: kpm_chain's user stacks cut to chain_leaf <- chain_b, marked U (>= 90% of user-mode samples)" \
	sh -c "$CHECK -f /tmp/depth2.txt -p $pid -s $W/kpm_chain.syms -u chain_leaf,chain_b -K -m 0.9 -n 1 &&
	       awk '\$1 == \"S\" && \$3 == $pid && \$5 == \"kpm_chain\" && \$7 == \"k=\" { all += \$2; if (\$6 ~ /U/) cut += \$2 }
		    END { print \"# U-marked\", cut + 0, \"of\", all + 0; exit !(all > 0 && cut >= 0.9 * all) }' /tmp/depth2.txt"
ktap_result "max_depth=2: no stack longer than 2 frames of either kind" \
	sh -c "awk '/^S / { for (f = 7; f <= 8; f++) { s = \$f; sub(/^[ku]=/, \"\", s);
		if (s != \"\" && split(s, a, \",\") > 2) bad = 1 } } END { exit bad }' /tmp/depth2.txt"
kpm_unload_check "unload (max_depth=2), log clean"
ktap_finished
