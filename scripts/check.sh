#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - all of kprofmap's tests, in tiers: what `make check` runs.
#
#   scripts/check.sh [TIER...]
#
# runs the TIERs named (build, unit, vm, e2e, pkg; setup always) in the
# order given; all of them, in that order, without arguments.
#
#   setup   scripts/setup.sh --quiet (installs what is missing)
#   build   make all (module against the VM kernel's headers, user tools),
#           make -C selftests all, make -C selftests/warn; no warnings
#   unit    make -C selftests unit       (host, TAP)
#   user    make -C user check           (host, TAP)
#   vm      scripts/vm-run-selftest.sh   (the runner proves itself)
#           then for each kernel of KVERS: scripts/build-module.sh KERNEL
#           (W=1, no warnings), selftests/unwind/tailcall.sh on that module
#           (host), and every selftests/vm/NN-name.sh through
#           selftests/lib/run-vm-tests.sh, in two boots of that kernel:
#           2 vCPUs for most, 1 vCPU under -icount (deterministic
#           guest time) for the tests with a "# kpm-vm: icount" line,
#           2 vCPUs on one TCG thread for those with "# kpm-vm: rr", and
#           2 vCPUs booted with module.sig_enforce=1 for "# kpm-vm: sig"
#   e2e     scripts/e2e.sh               (TAP)
#   pkg     scripts/pkg-check.sh         (TAP; as root: builds the Debian
#           packages, lintian, installs them, DKMS builds for each kernel
#           of KVERS but 6.1-debug, e2e.sh on the installed module and
#           kprof2pprof, purges them, nothing left)
#
# No tier is optional: a missing Makefile target, a missing e2e.sh, a VM
# that cannot boot, a missing module or no VM tests at all are failures.
#
# Every tier prints TAP; this script counts the "ok"/"not ok" lines of each
# program (a "# SKIP" directive counts as skipped) and treats as one more
# failure a program that exits non-zero (other than 4, the kselftest skip)
# without reporting a failure, runs fewer tests than planned, or prints
# invalid TAP: more results than planned, two plans, results numbered out
# of sequence. The last line is exactly
#
#   N passed, N failed, N skipped
#
# and the exit status is non-zero if anything failed. Logs: build/check/.
#
# On a machine that lacks them (CI's new one), the vm tier's kernels are
# prepared in the background from the start, while the tiers before them
# run: the kernels of KVERS after the first are fetched (setup.sh, at nice
# 10), and the debug kernel is built (build-debug-kernel.sh) at SCHED_IDLE,
# so that it takes only the CPU the VMs leave idle and cannot slow a
# timing-sensitive test. A kernel's tier waits for its part; the debug
# kernel comes last in the default KVERS for that reason. Logs:
# build/check/prefetch.log, build/check/debug-kernel.log.
#
# Environment: KVERS (the kernels of the VM tier, short names or releases
# as setup.sh takes them; default "6.1 6.12 6.1-rt 6.1-debug"; KVER=K alone means
# KVERS=K; the first run with 6.1-debug builds that kernel, see
# scripts/build-debug-kernel.sh), KPM_VM_TIMEOUT (seconds for each VM test
# boot, default 1800), KPM_ICOUNT_SHIFT (the icount boot's -icount shift,
# default 0: one guest ns per instruction).

set -uo pipefail
. "$(dirname "$0")/common.sh"

LOGS="$KPM_TOP/build/check"
# -icount shift of the icount boot: 1 guest ns per instruction, as make bench.
ICOUNT_SHIFT=${KPM_ICOUNT_SHIFT:-0}
PASSED=0
FAILED=0
SKIPPED=0
FAILURES=()

say() {
	echo "check: $*"
}

# point PASS|FAIL DESC: one result of check.sh's own.
point() {
	if [[ $1 == PASS ]]; then
		PASSED=$((PASSED + 1))
		echo "ok - $2"
	else
		FAILED=$((FAILED + 1))
		FAILURES+=("$2")
		echo "not ok - $2"
	fi
}

# tap_problems LOG: what makes LOG invalid TAP, one line each: a second
# plan, more results than planned, a result numbered out of sequence
# (duplicate, skipped or out of order; unnumbered results count in turn).
tap_problems() {
	awk '
	/^1\.\.[0-9]+/ {
		if (plan != "")
			print "a second plan line \"" $0 "\""
		else
			plan = substr($1, 4) + 0
		next
	}
	/^(not )?ok([ \t]|$)/ {
		n++
		s = $0
		sub(/^not /, "", s)
		split(s, f, /[ \t]+/)
		if (!misnumbered && f[2] ~ /^[0-9]+$/ && f[2] + 0 != n) {
			print "result " n " is numbered " f[2] " (duplicate or out of order): " $0
			misnumbered = 1
		}
	}
	END { if (plan != "" && n > plan) print "planned " plan " tests but printed " n " results" }' "$1"
}

# tally NAME RC LOG: count the TAP results a program printed into LOG.
tally() {
	local name=$1 rc=$2 log=$3 pass fail skip plan ran problem
	pass=$(grep -aE '^ok\b' "$log" | grep -vicE '#[[:space:]]*skip' || true)
	skip=$(grep -aE '^(not )?ok\b' "$log" | grep -icE '#[[:space:]]*skip' || true)
	fail=$(grep -aE '^not ok\b' "$log" | grep -vicE '#[[:space:]]*skip' || true)
	plan=$(grep -aoE '^1\.\.[0-9]+' "$log" | head -n 1 | cut -c4- || true)
	ran=$((pass + fail + skip))
	PASSED=$((PASSED + pass))
	SKIPPED=$((SKIPPED + skip))
	FAILED=$((FAILED + fail))
	while IFS= read -r line; do
		FAILURES+=("$name: $line")
	done < <(grep -aE '^not ok\b' "$log" | grep -viE '#[[:space:]]*skip')
	while IFS= read -r problem; do
		point FAIL "$name: invalid TAP: $problem"
	done < <(tap_problems "$log")

	if [[ $rc -ne 0 && $rc -ne 4 && $fail -eq 0 ]]; then
		point FAIL "$name exited with status $rc"
	elif [[ -n $plan && $ran -lt $plan ]]; then
		point FAIL "$name planned $plan tests but ran $ran"
	elif [[ $rc -eq 4 && $ran -eq 0 ]]; then
		SKIPPED=$((SKIPPED + 1))
	elif [[ $ran -eq 0 && $rc -eq 0 ]]; then
		point FAIL "$name printed no TAP results"
	fi
}

# run_tap NAME CMD...: run a TAP-printing command, show and log its output,
# tally it.
run_tap() {
	local name=$1 log="$LOGS/$1.log"
	shift
	say "---- $name: $*"
	"$@" 2>&1 | tee "$log"
	tally "$name" "${PIPESTATUS[0]}" "$log"
}

# build DESC LOGNAME CMD...: a build step, quiet unless it fails.
build() {
	local desc=$1 log="$LOGS/$2.log"
	shift 2
	if "$@" >"$log" 2>&1; then
		point PASS "build: $desc"
	else
		tail -n 40 "$log" | sed 's/^/# /'
		point FAIL "build: $desc (log: $log)"
	fi
}

# has_target DIR TARGET: DIR/Makefile has a rule for TARGET, with
# prerequisites or a recipe (a name only listed in .PHONY is not one).
# Nothing is run.
has_target() {
	local db
	[[ -f $1/Makefile ]] || return 1
	# -q exits 1 when anything is out of date: not a failure here.
	db=$(make -C "$1" -npq .DEFAULT 2>/dev/null || true)
	awk -v t="$2:" '
		/^# Not a target:/ { nontarget = 1; next }
		substr($0, 1, length(t)) == t && !nontarget {
			entry = 1
			if (substr($0, length(t) + 1) ~ /[^ \t]/)
				found = 1
			next
		}
		{ nontarget = 0 }
		entry && /^\t/ { found = 1 }
		/^$/ { entry = 0 }
		END { exit !found }' <<<"$db"
}

tier_build() {
	say "==== build (KDIR=$KDIR)"
	build "make all" make-all make -C "$KPM_TOP" KDIR="$KDIR" all
	build "make -C selftests all" selftests make -C "$KPM_TOP/selftests" KDIR="$KDIR" all
	build "selftests/warn/kpm_warn.ko" warn make -C "$KPM_TOP/selftests/warn" KDIR="$KDIR"
	local warnings
	warnings=$(cat "$LOGS"/make-all.log "$LOGS"/selftests.log "$LOGS"/warn.log 2>/dev/null |
		grep -E '(^|: )warning:' || true)
	if [[ -z $warnings ]]; then
		point PASS "build: no compiler warnings"
	else
		echo "$warnings" | sed 's/^/# /'
		point FAIL "build: no compiler warnings"
	fi
}

# host_tier NAME DIR TARGET: run `make -C DIR TARGET` (TAP); a missing
# Makefile or target is a failure, never a silently skipped tier.
host_tier() {
	if has_target "$KPM_TOP/$2" "$3"; then
		run_tap "$1" make -s -C "$KPM_TOP/$2" "$3"
	else
		point FAIL "$1: $2/Makefile has no target '$3' (the $1 tier cannot run)"
	fi
}

tier_unit() {
	host_tier unit selftests unit
	host_tier user user check
}

# vm_boot_of TEST: the kind of VM boot selftests/vm/TEST needs: "smp" (the
# default, 2 vCPUs) or what its "# kpm-vm: KIND" line names ("icount": 1
# vCPU, deterministic guest time; "rr": 2 vCPUs taking turns on one TCG
# thread, so that code one patches, a static key's int3 say, is what the
# other runs next: with a thread each, QEMU let a vCPU run perf's
# text_poke int3 after the patch ended, once, and 6.12 oopsed; "sig":
# 2 vCPUs, module signatures enforced from boot). Fails on a kind this
# script does not boot.
vm_boot_of() {
	local kind
	kind=$(sed -n 's/^# kpm-vm: *//p' "$KPM_TOP/selftests/vm/$1" | head -n 1)
	case "${kind:-smp}" in
	smp|icount|rr|sig) echo "${kind:-smp}" ;;
	*) return 1 ;;
	esac
}

# vm_boot KERNEL KVER BOOT TEST...: one VM boot of KVER (smp: 2 vCPUs;
# icount: 1 vCPU, -icount shift=$ICOUNT_SHIFT; rr: 2 vCPUs, one TCG
# thread; sig: 2 vCPUs, module.sig_enforce=1) running the TESTs through
# run-vm-tests.sh; tallies each test as vm/KERNEL/TEST.
vm_boot() {
	local k=$1 kver=$2 boot=$3 t name rc=0 out="$LOGS/vm-$1-$3" opts=()
	shift 3
	[[ $boot == icount ]] && opts=(--cpus 1 --icount "$ICOUNT_SHIFT")
	# The debug kernel, its vCPUs taking turns, once took an interrupt
	# in identify_cpu() at boot that KASAN reported (a wild access in
	# handle_edge_irq(), before the module): it keeps a thread a vCPU.
	[[ $boot == rr && $k != "$(kpm_debug_kver)" ]] && opts=(--tcg-single)
	[[ $boot == sig ]] && opts=(--append module.sig_enforce=1)
	say "---- vm ($boot boot): $*"
	"$KPM_TOP/scripts/vm-run.sh" --kver "$kver" "${opts[@]}" --out "$out" \
		--timeout "${KPM_VM_TIMEOUT:-1800}" -- sh /kpm/selftests/lib/run-vm-tests.sh "$@" || rc=$?
	for t in "$@"; do
		name=${t%.sh}
		if [[ -f $out/vm/$name.rc ]]; then
			tally "vm/$k/$t" "$(cat "$out/vm/$name.rc")" "$out/vm/$name.log"
		else
			point FAIL "vm/$k: $t did not run to the end"
		fi
	done
	[[ $rc -eq 0 ]] || point FAIL "vm/$k: the $boot VM run failed (vm-run.sh status $rc, see above)"
}

# tier_vm KERNEL: the VM tests on one kernel (short name or release), in
# one boot per kind of boot they need (vm_boot_of).
tier_vm() {
	local k=$1 kver ko
	say "==== vm ($k)"
	prefetch_wait "$k"
	"$KPM_TOP/scripts/setup.sh" --quiet "$k" || { point FAIL "vm/$k: scripts/setup.sh $k"; return; }
	kver=$(kpm_resolve_kver "$k")
	build "kprofmap.ko for $k ($kver), W=1, no warnings" "module-$k" \
		"$KPM_TOP/scripts/build-module.sh" "$k"
	ko=$KPM_TOP/build/$kver/module/kprofmap.ko
	[[ -f $ko ]] || { point FAIL "vm/$k: ${ko#$KPM_TOP/} is built"; return; }
	# Host check of the built module: the task_work callback's tail call.
	run_tap "tailcall-$k" sh "$KPM_TOP/selftests/unwind/tailcall.sh" "$ko"

	local smp=() icount=() rr=() sig=() t boot
	for t in "$KPM_TOP"/selftests/vm/[0-9][0-9]-*.sh; do
		[[ -f $t ]] || continue
		t=$(basename "$t")
		if ! boot=$(vm_boot_of "$t"); then
			point FAIL "vm/$k/$t: unknown '# kpm-vm:' boot kind (smp, icount, rr or sig)"
			continue
		fi
		case $boot in
		icount) icount+=("$t") ;;
		rr) rr+=("$t") ;;
		sig) sig+=("$t") ;;
		*) smp+=("$t") ;;
		esac
	done
	if [[ $((${#smp[@]} + ${#icount[@]} + ${#rr[@]} + ${#sig[@]})) -eq 0 ]]; then
		point FAIL "vm: no selftests/vm/NN-name.sh tests found"
		return
	fi
	[[ ${#smp[@]} -eq 0 ]] || vm_boot "$k" "$kver" smp "${smp[@]}"
	[[ ${#icount[@]} -eq 0 ]] || vm_boot "$k" "$kver" icount "${icount[@]}"
	[[ ${#rr[@]} -eq 0 ]] || vm_boot "$k" "$kver" rr "${rr[@]}"
	[[ ${#sig[@]} -eq 0 ]] || vm_boot "$k" "$kver" sig "${sig[@]}"
}

kernels() {
	echo ${KVERS:-${KVER:-6.1 6.12 6.1-rt 6.1-debug}}
}

# prefetch: start preparing the vm tier's kernels in the background (see
# the head of this file): nothing is started for a kernel already there.
PREFETCH_PID=
PREFETCH_KERNELS=()
DEBUG_PID=
prefetch() {
	local k first=1 debug
	debug=$(kpm_debug_kver)
	for k in $(kernels); do
		if [[ $k == "$debug" ]]; then
			[[ -f $(kpm_kernel_dir "$debug")/.kprofmap-done ]] && continue
			say "building the debug kernel in the background at SCHED_IDLE (log: $LOGS/debug-kernel.log)"
			# its own session: prefetch_stop ends the make under it too
			setsid chrt --idle 0 "$KPM_TOP/scripts/build-debug-kernel.sh" --quiet \
				>"$LOGS/debug-kernel.log" 2>&1 &
			DEBUG_PID=$!
		elif [[ $first -eq 0 ]]; then
			PREFETCH_KERNELS+=("$k")
		fi
		first=0
	done
	[[ ${#PREFETCH_KERNELS[@]} -gt 0 ]] || return 0
	# setup.sh --quiet K prints nothing when K is there already.
	say "fetching ${PREFETCH_KERNELS[*]} in the background when missing (log: $LOGS/prefetch.log)"
	nice -n 10 "$KPM_TOP/scripts/setup.sh" --quiet "${PREFETCH_KERNELS[@]}" \
		>"$LOGS/prefetch.log" 2>&1 &
	PREFETCH_PID=$!
}

# prefetch_wait KERNEL: wait for the background part that prepares KERNEL.
# Its status is not judged here: tier_vm's own setup.sh call then does
# what is left, or fails with its reason.
prefetch_wait() {
	local k
	if [[ $1 == "$(kpm_debug_kver)" && -n $DEBUG_PID ]]; then
		say "waiting for the debug kernel's build"
		wait "$DEBUG_PID" || say "the background debug kernel build failed (see $LOGS/debug-kernel.log)"
		DEBUG_PID=
	fi
	for k in "${PREFETCH_KERNELS[@]}"; do
		if [[ $k == "$1" && -n $PREFETCH_PID ]]; then
			wait "$PREFETCH_PID" || say "the background kernel fetch failed (see $LOGS/prefetch.log)"
			PREFETCH_PID=
		fi
	done
}

prefetch_stop() {
	[[ -z $PREFETCH_PID ]] || kill "$PREFETCH_PID" 2>/dev/null
	[[ -z $DEBUG_PID ]] || kill -- "-$DEBUG_PID" 2>/dev/null
	true
}

# The VM runner's self-test (on the default kernel), then the VM tests on
# each kernel of KVERS.
tier_kernels() {
	local k
	say "==== vm runner"
	run_tap vm-run-selftest "$KPM_TOP/scripts/vm-run-selftest.sh"
	for k in $(kernels); do
		tier_vm "$k"
	done
}

tier_e2e() {
	say "==== e2e"
	[[ -x $KPM_TOP/scripts/e2e.sh ]] || { point FAIL "e2e: scripts/e2e.sh is missing or not executable"; return; }
	run_tap e2e "$KPM_TOP/scripts/e2e.sh"
}

tier_pkg() {
	say "==== pkg"
	[[ -x $KPM_TOP/scripts/pkg-check.sh ]] ||
		{ point FAIL "pkg: scripts/pkg-check.sh is missing or not executable"; return; }
	run_tap pkg "$KPM_TOP/scripts/pkg-check.sh"
}

main() {
	local t0=$SECONDS tiers=("$@") t
	[[ ${#tiers[@]} -gt 0 ]] || tiers=(build unit vm e2e pkg)
	for t in "${tiers[@]}"; do
		case $t in
		build|unit|vm|e2e|pkg) ;;
		*) kpm_die "unknown tier '$t' (build, unit, vm, e2e, pkg)" ;;
		esac
	done
	"$KPM_TOP/scripts/setup.sh" --quiet || kpm_die "scripts/setup.sh failed"
	# The tree build (make all) is against Debian 6.1; tier_vm builds the
	# module for each kernel it boots.
	KDIR=$(kpm_kdir "$(kpm_default_kver)")
	[[ -d $KDIR ]] || kpm_die "no Debian 6.1 headers ($KDIR)"
	rm -rf "$LOGS"
	mkdir -p "$LOGS"

	for t in "${tiers[@]}"; do
		[[ $t == vm ]] && { trap prefetch_stop EXIT; prefetch; }
	done
	for t in "${tiers[@]}"; do
		case $t in
		build) tier_build ;;
		unit) tier_unit ;;
		vm) tier_kernels ;;
		e2e) tier_e2e ;;
		pkg) tier_pkg ;;
		esac
	done

	say "==== done in $((SECONDS - t0)) s; logs in $LOGS"
	local f
	for f in "${FAILURES[@]}"; do
		say "FAILED: $f"
	done
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[[ $FAILED -eq 0 ]]
}

main "$@"
