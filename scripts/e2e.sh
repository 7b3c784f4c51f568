#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e.sh - end to end: profile known workloads in the VM with kprofmap.ko
# and kprof2pprof, bring the pprof file back, and check it on the host with
# `go tool pprof` (the reference reader). Prints TAP; exit 1 on failure.
#
#   scripts/e2e.sh [--module KO] [--kprof2pprof BIN] [--out DIR]
#
#   --module KO         profile with this kprofmap.ko (built for the VM's
#                       kernel, e.g. the one DKMS built) instead of the
#                       tree's module/kprofmap.ko
#   --kprof2pprof BIN   convert with this kprof2pprof (e.g. the installed
#                       /usr/bin/kprof2pprof) instead of user/kprof2pprof
#   --out DIR           where the profile and logs go (default build/e2e)
#
# Without --module and --kprof2pprof it builds the tree (make all) first.
# TAP through selftests/lib/kpm.sh, like every shell test.
#
# Workloads (selftests/workloads, clang, frame pointers):
#   kpm_split     CPU time 60/30/10 across split_sixty/thirty/ten, by
#                 iteration counts: pprof's flat shares must be within 5
#                 points of that
#   kpm_readzero  read(2) of /dev/zero: the kernel read path (ksys_read,
#                 vfs_read) must be named, stacked on zero_loop <- main
#   kpm_chain     main -> chain_a -> chain_b -> chain_leaf, as one trace
#
# Environment: KVER, KPM_E2E_SECONDS (profiling time, default 6).

set -uo pipefail
. "$(dirname "$0")/common.sh"
. "$KPM_TOP/selftests/lib/kpm.sh"

SECS=${KPM_E2E_SECONDS:-6}
OUT="$KPM_TOP/build/e2e"
MODULE=
K2P=
# Where the module and kprof2pprof are in the guest: the tree's, which
# vm-run.sh stages, unless --module or --kprof2pprof add others.
GUEST_KO=/kpm/kprofmap.ko
GUEST_K2P=/kpm/kprof2pprof
VM_ADDS=()

guest_script() {
	cat <<EOF
set -e
w=/kpm/selftests/workloads
insmod $GUEST_KO freq=999 autostart=0
\$w/kpm_split 600 >/dev/null & split=\$!
\$w/kpm_readzero 600 >/dev/null & rz=\$!
\$w/kpm_chain 600 >/dev/null & chain=\$!
echo start >/proc/kprofmap/control
sleep $SECS
$GUEST_K2P -o /out/e2e.pb.gz
kill \$split \$rz \$chain
wait || true
rmmod kprofmap
EOF
}

pprof() {
	go tool pprof "$@" 2>/dev/null
}

# Flat samples of FUNC in "-top" output of the kpm_split process.
flat_of() {
	awk -v f="$1" '$NF == f { v = $1; sub(/[a-z]+$/, "", v); print v; found = 1 }
		END { if (!found) print 0 }' "$OUT/split.top"
}

check_split_shares() {
	local s60 s30 s10 total
	s60=$(flat_of split_sixty)
	s30=$(flat_of split_thirty)
	s10=$(flat_of split_ten)
	total=$((s60 + s30 + s10))
	echo "split_sixty $s60, split_thirty $s30, split_ten $s10 samples"
	[[ $total -gt 100 ]] || { echo "too few samples ($total)"; return 1; }
	awk -v a="$s60" -v b="$s30" -v c="$s10" -v t="$total" '
	function abs(x) { return x < 0 ? -x : x }
	BEGIN {
		pa = 100 * a / t; pb = 100 * b / t; pc = 100 * c / t
		printf "shares %.1f/%.1f/%.1f%% (truth 60/30/10)\n", pa, pb, pc
		exit (abs(pa - 60) > 5 || abs(pb - 30) > 5 || abs(pc - 10) > 5)
	}'
}

pprof_reads() {
	pprof -top "$PB" >/dev/null
}

readzero_names_read_path() {
	grep -qw ksys_read "$OUT/readzero.top" && grep -qw vfs_read "$OUT/readzero.top"
}

# readzero_trace: a kpm_readzero trace has vfs_read and, below it, zero_loop.
readzero_trace() {
	pprof -traces -tagfocus=comm=kpm_readzero "$PB" |
		awk '/^-----------/ { if (k && z) hit = 1; k = z = 0; next }
		     $NF == "vfs_read" { k = 1 } $NF == "zero_loop" && k { z = 1 }
		     END { if (k && z) hit = 1; exit !hit }'
}

# The trace check must be able to fail: a chain in the wrong order.
rejects_wrong_chain() {
	! traces_have kpm_chain chain_b chain_leaf
}

labels_present() {
	local raw
	raw=$(pprof -raw "$PB")
	grep -q 'comm:\[kpm_split\]' <<<"$raw" && grep -Eq 'pid:\[[0-9]+\]' <<<"$raw" &&
		grep -Eq 'tid:\[[0-9]+\]' <<<"$raw"
}

# traces_have COMM NAME...: some trace of COMM in `pprof -traces` has
# exactly these frames first, leaf first (label lines are skipped).
traces_have() {
	local comm=$1
	shift
	pprof -traces -tagfocus="comm=$comm" "$PB" | awk -v want="$*" '
		function check(  j) {
			if (k < n)
				return
			for (j = 1; j <= n; j++)
				if (f[j] != w[j])
					return
			hit = 1
		}
		BEGIN { n = split(want, w, " ") }
		/^-----------/ { if (started) check(); started = 1; k = 0; next }
		!started || /^ *[a-z]+: / || !NF { next }
		{ f[++k] = $NF }
		END { if (started) check(); exit !hit }'
}

parse_args() {
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--module) MODULE=$2; shift ;;
		--kprof2pprof) K2P=$2; shift ;;
		--out) OUT=$2; shift ;;
		-h|--help) sed -n '4,21s/^# \{0,1\}//p' "$0"; exit 0 ;;
		*) echo "e2e.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
		esac
		shift
	done
	PB="$OUT/e2e.pb.gz"
	if [[ -n $MODULE ]]; then
		GUEST_KO=/kpm/given/kprofmap.ko
		VM_ADDS+=(--add "$MODULE:$GUEST_KO")
	fi
	if [[ -n $K2P ]]; then
		GUEST_K2P=/kpm/given/kprof2pprof
		VM_ADDS+=(--add "$K2P:$GUEST_K2P")
	fi
}

# The tree's module and tool where none were given, and the workloads.
build() {
	if [[ -z $MODULE || -z $K2P ]]; then
		make -s -C "$KPM_TOP" KDIR="/usr/src/linux-headers-$KVER" all >/dev/null || return 1
	fi
	make -s -C "$KPM_TOP/selftests/workloads" >/dev/null
}

main() {
	parse_args "$@"
	ktap_header
	ktap_plan 8
	"$KPM_TOP/scripts/setup.sh" --quiet || ktap_bail "setup failed"
	KVER=${KVER:-$(kpm_default_kver)}
	build || ktap_bail "build failed"
	rm -rf "$OUT"
	mkdir -p "$OUT"
	ktap_diag "module ${MODULE:-module/kprofmap.ko}, kprof2pprof ${K2P:-user/kprof2pprof}"

	if "$KPM_TOP/scripts/vm-run.sh" --kver "$KVER" "${VM_ADDS[@]}" --out "$OUT" --timeout 600 -- \
		"$(guest_script)" >"$OUT/vm.log" 2>&1 && [[ -s $PB ]]; then
		ktap_pass "VM run profiled the workloads and returned a pprof file"
	else
		tail -n 40 "$OUT/vm.log" | sed 's/^/# /'
		ktap_fail "VM run profiled the workloads and returned a pprof file"
		ktap_bail "no pprof file to check"
	fi
	ktap_result "go tool pprof reads the profile" pprof_reads
	pprof -top -nodecount=200 -sample_index=samples -tagfocus=comm=kpm_split "$PB" >"$OUT/split.top"
	ktap_result "kpm_split: flat shares within 5 points of 60/30/10" check_split_shares
	pprof -top -cum -nodecount=300 -sample_index=samples -tagfocus=comm=kpm_readzero "$PB" >"$OUT/readzero.top"
	ktap_result "kpm_readzero: kernel read path named (ksys_read, vfs_read)" readzero_names_read_path
	ktap_result "kpm_readzero: a trace runs kernel frames into read <- zero_loop <- main" readzero_trace
	ktap_result "kpm_chain: trace chain_leaf <- chain_b <- chain_a <- main" \
		traces_have kpm_chain chain_leaf chain_b chain_a main
	ktap_result "trace check rejects a wrong chain (chain_b <- chain_leaf)" rejects_wrong_chain
	ktap_result "labels pid, tid and comm on the samples" labels_present
	ktap_finished
}

main "$@"
