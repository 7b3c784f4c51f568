#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 60-unwind.sh - user stacks without frame pointers (module/uwind.c):
#  - uw_chain (gcc -O2, no frame pointers anywhere, static glibc):
#    main -> uw_a -> uw_b -> uw_leaf, whole, in >= 95% of its user-mode
#    samples; the frame-pointer walk (unwind=0) finds it in almost none,
#    so the check tells the two apart;
#  - uw_signal: a handler's stack through the signal frame (libc's
#    rt_sigreturn trampoline) into the interrupted code and up to main;
#  - uw_readzero, by default (unwind=1: samples inside system calls walked
#    in hard irq, from cached steps or rules computed there from the
#    page cache) and with unwind=2 (unwound when the call returns):
#    libc's frameless read() wrapper under the kernel read path, with its
#    caller: read <- zero_read <- zero_loop <- main;
#  - uw_poison rewrites its own copy of libc's .eh_frame (valid-looking,
#    wrong rules) while uw_victim runs through the same libc on the same
#    CPU: both keep whole stacks (rules come from the file's page cache,
#    not from any process's copy);
#  - hostile unwind data (uw_bad_*: random bytes, 2^62 lengths, FDEs
#    that are their own CIE with endless remember_state) at 10 kHz: the
#    programs are sampled, the bad data is counted, the log stays clean;
#    the same data in uw_readzero (uw_badrz_*), read in hard irq for
#    samples inside read(2) (on PREEMPT_RT, where no rule is computed in
#    hard irq, by a work item from a copy of the stack);
#  - recursion (kpm_keys, frame pointers): 35 frames that return to one
#    call site, which the hard-irq walk takes without a lookup each, are
#    all there, in order, and a max_depth inside them truncates the stack
#    there (the U flag);
#  - the unwinder's counters move, and rmmod succeeds once the works
#    queued before "stop" have run.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header
ktap_plan 25

U=/kpm/selftests/unwind
CHECK=/kpm/selftests/vm/kpm_check
S=/tmp/unwind.$$

# Of the user-mode samples of pid @1 in uw_leaf (its startup code and
# clock calls are not the chain, and take a share that depends on the
# kernel), at least @2 have the whole chain.
chain_check() {
	$CHECK -f $S -p $1 -s $U/uw_chain.syms -K -l uw_leaf \
		-u uw_leaf,uw_b,uw_a,main -m "$2" -n 1
}

# Fewer than @2 of them do.
chain_rare() {
	! $CHECK -f $S -p $1 -s $U/uw_chain.syms -K -l uw_leaf \
		-u uw_leaf,uw_b,uw_a,main -m "$2" -n 1
}

kpm_load freq=999 || ktap_bail "insmod failed"
$U/uw_chain 1.5 & pid=$!
wait $pid
cat /proc/kprofmap/samples >$S
ktap_result "uw_chain: uw_leaf <- uw_b <- uw_a <- main in >= 95% of its samples in uw_leaf" \
	chain_check $pid 0.95

# Recursion. kpm_keys with one path (0x9e3b1: kk_f1, kk_f11, kk_f3,
# kk_f14, kk_f9 from main down) 40 levels deep: past the path's five
# digits each level is kk_f0, called from one call site in kk_f0, so 35
# frames share a return address (uwind_irq() reuses the step of the
# frame below for them).
W=/kpm/selftests/workloads
KEYS_CHAIN="kk_spin$(i=0; while [ $i -lt 35 ]; do printf ',kk_f0'; i=$((i + 1)); done),kk_f9,kk_f14,kk_f3,kk_f11,kk_f1,main"
$W/kpm_keys 1 1.5 1 40 >/dev/null & pid=$!
wait $pid
cat /proc/kprofmap/samples >$S
ktap_result "kpm_keys, 42 frames, 35 of them from one call site: the whole stack, in order (>= 95% of its user-mode samples in kk_spin)" \
	$CHECK -f $S -p $pid -s $W/kpm_keys.syms -K -l kk_spin \
		-u "$KEYS_CHAIN" -m 0.95 -n 100

# Through a signal frame: the handler's stack continues, past libc's
# rt_sigreturn trampoline, in the code the signal interrupted.
$U/uw_signal 1.5 & pid=$!
wait $pid
cat /proc/kprofmap/samples >$S
ktap_result "uw_signal: sig_leaf <- sig_handler <- (signal frame) ... sig_loop <- main (>= 95% of samples in sig_leaf)" \
	$CHECK -f $S -p $pid -s $U/uw_signal.syms -K -l sig_leaf \
		-u "sig_leaf,sig_handler,...,sig_loop,main" -m 0.95 -n 1

# By default, samples inside read(2) are walked in hard irq: the steps of
# read()'s wrapper and its callers cached by earlier samples, or computed
# there from libc's page cache.
$U/uw_readzero 2 & pid=$!
wait $pid
cat /proc/kprofmap/samples >$S
ktap_result "unwind=1, uw_readzero: read <- zero_read <- zero_loop <- main (>= 95% of samples in read)" \
	$CHECK -f $S -p $pid -s $U/uw_readzero.syms -l "read|__libc_read" \
		-u "read|__libc_read,zero_read,zero_loop,main" -m 0.95 -n 1
ktap_result "unwind=1, uw_readzero: most samples are inside read(2) (ksys_read)" \
	$CHECK -f $S -p $pid -k ksys_read -m 0.5 -n 1
ktap_result "unwind=1: samples walked in hard irq (unwind_irq_walks > 0)" \
	sh -c '[ "$(sed -n "s/^unwind_irq_walks //p" /proc/kprofmap/stats)" -gt 0 ]'

# Samples inside read(2) are unwound when the call returns: unwind=2.
# Sampling only while the workload runs, so no other task (this shell's
# parents, blocked in wait()) keeps a work queued, and rmmod works.
kpm_unload || ktap_bail "rmmod failed"
kpm_load freq=999 unwind=2 autostart=0 || ktap_bail "insmod unwind=2 failed"
$U/uw_readzero 2 & pid=$!
echo start >/proc/kprofmap/control
wait $pid
echo stop >/proc/kprofmap/control
cat /proc/kprofmap/samples >$S
# Of its samples in libc's read() wrapper (in the system call or not).
ktap_result "unwind=2, uw_readzero: read <- zero_read <- zero_loop <- main (>= 95% of samples in read)" \
	$CHECK -f $S -p $pid -s $U/uw_readzero.syms -l "read|__libc_read" \
		-u "read|__libc_read,zero_read,zero_loop,main" -m 0.95 -n 1
ktap_result "unwind=2, uw_readzero: most samples are inside read(2) (ksys_read)" \
	$CHECK -f $S -p $pid -k ksys_read -m 0.5 -n 1
kpm_unload || ktap_bail "rmmod after unwind=2 failed"
kpm_load freq=999 || ktap_bail "insmod failed"

# Poisoning: both on CPU 0, so they share that CPU's rule cache.
taskset 1 $U/uw_poison 3 >/tmp/poison.out & ppid=$!
sleep 0.5
taskset 1 $U/uw_victim 2 & vpid=$!
wait $vpid
wait $ppid
cat /proc/kprofmap/samples >$S
ktap_result "uw_poison rewrote the FDEs of its own copy of libc's .eh_frame" \
	grep -q 'poisoned [1-9]' /tmp/poison.out
# Samples in its comparator: the walk must cross libc's qsort frames.
ktap_result "uw_victim beside it: uw_cmp <- (libc) <- uw_sort_loop <- main (>= 95%)" \
	$CHECK -f $S -p $vpid -s $U/uw_victim.syms -K -l uw_cmp \
		-u "uw_cmp,...,uw_sort_loop,main" -m 0.95 -n 1
ktap_result "uw_poison's own too: uw_pcmp <- (its rewritten libc) <- main (>= 95%)" \
	$CHECK -f $S -p $ppid -s $U/uw_poison.syms -K -l uw_pcmp \
		-u "uw_pcmp,...,main" -m 0.95 -n 1

ktap_result "unwind_queued and unwind_frames_eh counted" \
	sh -c '[ "$(sed -n "s/^unwind_queued //p" /proc/kprofmap/stats)" -gt 0 ] &&
	       [ "$(sed -n "s/^unwind_frames_eh //p" /proc/kprofmap/stats)" -gt 0 ]'
ktap_result "the rule cache serves repeated frames (unwind_cache_hit > unwind_cache_miss)" \
	sh -c '[ "$(sed -n "s/^unwind_cache_hit //p" /proc/kprofmap/stats)" -gt \
		 "$(sed -n "s/^unwind_cache_miss //p" /proc/kprofmap/stats)" ]'
ktap_diag "$(grep '^unwind' /proc/kprofmap/stats | tr '\n' ' ')"
ktap_result "rmmod after stop (pending works have run)" kpm_unload
kpm_check_dmesg "kernel log clean after the unwinder ran"

# max_depth=20 inside the recursion: 20 user frames (kk_spin and 19 of the
# 35 kk_f0), flagged U, in every user-mode sample in kk_spin.
trunc_check() {
	$CHECK -f $S -p $pid -s $W/kpm_keys.syms -K -l kk_spin \
		-u "$(echo "$KEYS_CHAIN" | cut -d, -f1-20)" -m 0.95 -n 100 || return 1
	# Every user-mode record of 20 frames whose last 19 are one return
	# address (kk_f0's recursive call) was cut short: U.
	awk -v p=$pid '$1 == "S" && $3 == p && $7 == "k=" {
		n = split(substr($8, 3), f, ",")
		if (n != 20)
			next
		for (i = 3; i <= 20; i++)
			if (f[i] != f[2])
				next
		rec++
		if ($6 !~ /U/)
			bad++
	}
	END {
		printf "# %d records of 20 frames in the recursion, %d not flagged U\n", rec, bad
		exit bad > 0 || rec == 0
	}' $S || return 1
	kpm_stacks_within 20 $S
}
kpm_load freq=999 max_depth=20 || ktap_bail "insmod max_depth=20 failed"
$W/kpm_keys 1 1 1 40 >/dev/null & pid=$!
wait $pid
cat /proc/kprofmap/samples >$S
kpm_unload
ktap_result "max_depth=20 inside the recursion: kk_spin and 19 kk_f0, truncated (U), in >= 95% of kk_spin's user-mode samples; no stack longer" \
	trunc_check

# Hostile unwind data at 10 kHz.
bad_sum() {
	awk '/^unwind_fp_(malformed|budget|nofde) / { n += $2 } END { print n + 0 }' \
		/proc/kprofmap/stats
}

sampled() {
	[ "$(grep -c "^S [0-9]* $1 " $S)" -gt 0 ]
}

# Each program starts from an empty aggregate: the ones before it filled
# it with forged stacks, and the fair share then (rightly) refuses root's
# new stacks, the next program's among them.
kpm_load freq=10000 || ktap_bail "insmod freq=10000 failed"
for mode in random lengths cycles; do
	echo reset >/proc/kprofmap/control
	b0=$(bad_sum)
	$U/uw_bad_$mode 1.5 & pid=$!
	wait $pid
	cat /proc/kprofmap/samples >$S
	ktap_result "uw_bad_$mode at 10 kHz: sampled, its unwind data refused ($(($(bad_sum) - b0)) counted)" \
		sh -c "[ $(bad_sum) -gt $b0 ] && grep -q '^S [0-9]* $pid ' $S"
done
for mode in random lengths cycles; do
	echo reset >/proc/kprofmap/control
	r0=$(kpm_stat unwind_irq_rules)
	w0=$(kpm_stat unwind_copies)
	$U/uw_badrz_$mode 1 & pid=$!
	wait $pid
	cat /proc/kprofmap/samples >$S
	r=$(($(kpm_stat unwind_irq_rules) - r0))
	w=$(($(kpm_stat unwind_copies) - w0))
	ktap_diag "uw_badrz_$mode: $(grep -c "^S [0-9]* $pid " $S) records, $(grep -c "^S [0-9]* $pid .*k=[0-9a-f]" $S) in the kernel; $(grep -E '^(samples|stored|lost[a-z_]*) ' /proc/kprofmap/stats | tr '\n' ' ')"
	if kpm_preempt_rt; then
		ktap_result "uw_badrz_$mode at 10 kHz (PREEMPT_RT): sampled inside read(2), its data read from a stack copy ($w samples, $r steps in hard irq)" \
			sh -c "[ $r -eq 0 ] && [ $w -gt 0 ] && grep -q '^S [0-9]* $pid .*k=[0-9a-f]' $S"
	else
		ktap_result "uw_badrz_$mode at 10 kHz: sampled inside read(2), its data read in hard irq ($r steps)" \
			sh -c "[ $r -gt 0 ] && grep -q '^S [0-9]* $pid .*k=[0-9a-f]' $S"
	fi
done
kpm_unload_check "unload after hostile unwind data, log clean"

# The same workload walked by frame pointers only: the chain is lost.
kpm_load freq=999 unwind=0 || ktap_bail "insmod unwind=0 failed"
$U/uw_chain 1 & pid=$!
wait $pid
cat /proc/kprofmap/samples >$S
ktap_result "unwind=0: the frame-pointer walk finds the chain in < 20% (the check can fail)" \
	chain_rare $pid 0.2
kpm_unload_check "unload unwind=0, log clean"
rm -f $S
ktap_finished
