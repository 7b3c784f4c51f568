#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 75-symbolize.sh - kprof2pprof names user frames from the module's
# mapping records, not from the live system (issue 10), judged on its
# folded output (COMM;ROOT;...;LEAF COUNT; an unnamed frame is written
# FILE+0xOFFSET or [MAPPING]+0xADDRESS):
#  - an exited process: kpm_chain, converted after it exited: >= 95% of
#    its samples with every frame named, and >= 95% of those in
#    chain_leaf under main;chain_a;chain_b;chain_leaf;
#  - rebuilt in place: a copy of kpm_chain replaced by kpm_keys after it
#    exited: the build-id mismatch is reported, and none of its frames is
#    named (neither kpm_chain's names nor kpm_keys');
#  - 50 short-lived children, converted after all exited: no frame of
#    kpm_keys left unnamed (kpm_keys+0x...), its kk_spin named;
#  - dlopen: kpm_dlopen's samples in the library named dl_spin (>= 300),
#    none left as libkpm_dl.so+0x...;
#  - exec: one pid, kpm_exec then kpm_chain: exec_spin named in the first
#    image's samples and never in the second's, chain_leaf the reverse;
#  - a mount namespace: kpm_chain copied to a tmpfs mounted only inside
#    the namespace: named while it runs (through /proc/PID/root), and
#    after it has exited only from a debug directory holding its build id.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
kpm_require_cmd unshare
ktap_header
ktap_plan 11

W=/kpm/selftests/workloads
K2P=/kpm/kprof2pprof
[ -x $K2P ] || ktap_bail "no $K2P (make -C user)"
S=/tmp/sym.$$

# fold FILE: FILE's records as folded stacks into FILE.folded, stderr
# into FILE.err.
fold() {
	$K2P --folded -o "$1.folded" "$@" 2>"$1.err"
}

# named_share COMM FILE MIN: of COMM's samples in FILE (folded), at least
# MIN have every frame named, and of those in chain_leaf at least MIN
# have main;chain_a;chain_b;chain_leaf.
named_share() {
	awk -v c="$1" -v min="$3" '
	{ n = $NF; s = $0; sub(/ [0-9]+$/, "", s) }
	index(s, c ";") == 1 {
		all += n
		if (s !~ /\+0x/) named += n
		if (s ~ /;chain_leaf(;|$)/) { leaf += n; if (s ~ /;main;chain_a;chain_b;chain_leaf(;|$)/) chain += n }
	}
	END {
		printf "# %s: %d samples, %d with every frame named, %d in chain_leaf, %d of those under main;chain_a;chain_b\n", c, all, named, leaf, chain
		exit !(all >= 200 && named >= min * all && leaf > 0 && chain >= min * leaf)
	}' "$2"
}

kpm_load freq=999 || ktap_bail "insmod failed"

# An exited process.
$W/kpm_chain 1 >/dev/null & pid=$!
wait $pid
cat /proc/kprofmap/drain >$S
ktap_result "exited process: kprof2pprof converts its records" fold $S
ktap_result "exited process: >= 95% of kpm_chain's samples named, its chain whole" \
	named_share kpm_chain $S.folded 0.95

# Short-lived children, dlopen, exec: converted after they all exited.
sh -c "for i in \$(seq 50); do $W/kpm_keys 10 0.02 >/dev/null; done"
$W/kpm_dlopen $W/libkpm_dl.so 1
$W/kpm_exec 0.5 $W/kpm_chain 0.5 >/dev/null
cat /proc/kprofmap/drain >$S
fold $S
# count_lines PREFIX PATTERN: samples of PREFIX's folded lines matching
# the extended regular expression PATTERN.
count_lines() {
	awk -v c="$1;" -v re="$2" '{ n = $NF; s = $0; sub(/ [0-9]+$/, "", s) }
		index(s, c) == 1 && s ~ re { t += n } END { print t + 0 }' $S.folded
}
children_named() {
	echo "# kpm_keys: $(count_lines kpm_keys ';kk_spin') samples in kk_spin, $(count_lines kpm_keys 'kpm_keys\+0x') with a frame of kpm_keys unnamed"
	[ "$(count_lines kpm_keys ';kk_spin')" -gt 200 ] &&
		[ "$(count_lines kpm_keys 'kpm_keys\+0x')" -eq 0 ]
}
ktap_result "50 children: every frame in kpm_keys named" children_named
dlopen_named() {
	echo "# kpm_dlopen: $(count_lines kpm_dlopen ';dl_spin') samples in dl_spin, $(count_lines kpm_dlopen 'libkpm_dl[.]so\+0x') with a frame of the library unnamed"
	[ "$(count_lines kpm_dlopen ';dl_spin')" -ge 300 ] &&
		[ "$(count_lines kpm_dlopen 'libkpm_dl[.]so\+0x')" -eq 0 ]
}
ktap_result "dlopen: the library's dl_spin named after it was unloaded" dlopen_named
exec_named() {
	echo "# kpm_exec: $(count_lines kpm_exec ';exec_spin') in exec_spin, $(count_lines kpm_exec 'chain_') in chain_*; kpm_chain: $(count_lines kpm_chain ';chain_leaf') in chain_leaf, $(count_lines kpm_chain 'exec_spin') in exec_spin"
	[ "$(count_lines kpm_exec ';exec_spin')" -ge 200 ] && [ "$(count_lines kpm_exec 'chain_')" -eq 0 ] &&
		[ "$(count_lines kpm_chain ';chain_leaf')" -ge 200 ] && [ "$(count_lines kpm_chain 'exec_spin')" -eq 0 ]
}
ktap_result "exec: each image named from its own binary, same pid" exec_named

# Rebuilt in place after it exited.
mkdir -p /tmp/rb
cp $W/kpm_chain /tmp/rb/rbprog
/tmp/rb/rbprog 0.5 >/dev/null
cp $W/kpm_keys /tmp/rb/rbprog
cat /proc/kprofmap/drain >$S
fold $S
sed 's/^/# kprof2pprof: /' $S.err
ktap_result "rebuilt in place: the build-id mismatch is reported" \
	grep -q "rbprog.*build id" $S.err
no_wrong_names() {
	grep '^rbprog;' $S.folded | head -n 3 | sed 's/^/# /'
	grep -q '^rbprog;' $S.folded &&
		! grep '^rbprog;' $S.folded | grep -Eq 'chain_|kk_|;main(;| )'
}
ktap_result "rebuilt in place: none of its frames named, from either build" \
	no_wrong_names

# A mount namespace whose binary exists only inside it.
mkdir -p /tmp/nsdir
unshare -m sh -c "mount -t tmpfs none /tmp/nsdir && cp $W/kpm_chain /tmp/nsdir/nsprog &&
	exec /tmp/nsdir/nsprog 120" >/dev/null & pid=$!
sleep 1.5
[ ! -e /tmp/nsdir/nsprog ] || ktap_bail "nsprog is visible outside its namespace"
cat /proc/kprofmap/samples >$S.live
fold $S.live
live=$(kill -0 $pid 2>/dev/null && echo yes)
ktap_diag "nsprog still running after the conversion: ${live:-no}"
ktap_result "mount namespace: named while it runs (through /proc/PID/root)" \
	named_share nsprog $S.live.folded 0.95
# It spins until killed: the conversion above can take seconds on the
# debug kernel, and must finish while it runs.
kill $pid
wait $pid
cat /proc/kprofmap/drain >$S
fold $S
unnamed_after_exit() {
	awk '{ s = $0; sub(/ [0-9]+$/, "", s) } index(s, "nsprog;") == 1 && s ~ /chain_leaf/ { bad = 1 }
	     END { exit bad }' $S.folded && grep -q '^nsprog;' $S.folded
}
ktap_result "mount namespace: after it exited, not named without its file" \
	unnamed_after_exit
bid=$(awk '$1 == "M" && $NF ~ /nsprog$/ { print $6; exit }' $S)
dir=/tmp/debug/.build-id/$(echo "$bid" | cut -c1-2)
mkdir -p $dir
cp $W/kpm_chain $dir/$(echo "$bid" | cut -c3-).debug
ktap_diag "nsprog's build id $bid, copy in $dir"
fold $S --debug-dir /tmp/debug
ktap_result "mount namespace: after it exited, named from --debug-dir by its build id" \
	named_share nsprog $S.folded 0.95
kpm_unload_check "unload, log clean"
rm -rf $S $S.* /tmp/rb /tmp/debug
ktap_finished
