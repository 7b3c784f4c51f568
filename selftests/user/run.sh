#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - kprof2pprof tests (host, no VM), TAP output.
#
#   run.sh SANDIR      SANDIR holds kprof2pprof, unit_test and (if clang
#                      could build it) fuzz_parse, all ASan+UBSan builds
#
# Every expectation is derived from the test inputs: symbol addresses and
# sizes from nm, segments from readelf -l, build ids from readelf -n, the
# synthetic kallsyms and records written here. Every profile is opened
# with `go tool pprof -raw` and checked through its output.
#
# TAP through selftests/lib/kpm.sh; unit_test (kselftest harness) runs
# first, as its plan is part of this one, and its results are relayed in
# their place below.
#
# Environment: FUZZ_SECONDS (default 20), CC (default gcc), KEEP=1 keeps
# the work directory.

set -u
SANDIR=$(cd "${1:?usage: run.sh SANDIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/kpm.sh"
K2P=$SANDIR/kprof2pprof
CC=${CC:-gcc}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
T=$(mktemp -d /tmp/kprof2pprof-test.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$T"' EXIT

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
export HOME=$T PPROF_TMPDIR=$T GOFLAGS=
export TMPDIR=$T

# --- TAP -----------------------------------------------------------------

# Each test is a function run by ktap_result DESC FUNC [ARGS], in a
# subshell; what it prints is shown as "# " lines.

# die MSG: fail the current test here. It ends ktap_result's subshell: a
# check that fails mid-function must not be forgotten by the checks after
# it.
die() { echo "$*"; exit 1; }

# --- helpers ---------------------------------------------------------------

hex() { printf '%x' "$1"; }

# k2p ARGS...: run kprof2pprof with the synthetic system, stderr to $T/err
k2p() {
	"$K2P" --proc-root "$T/proc" --kallsyms "$T/kallsyms" \
		--sys-root "$T/sys" --debug-dir "$T/nodebug" "$@" 2>"$T/err"
}

# raw FILE: go tool pprof -raw with no symbolization of its own
raw() { go tool pprof -raw -symbolize=none "$1" 2>"$T/pprof.err"; }

# stacks FILE: one line per sample:
#   VALUES | name;name;... | label label ...
# where a frame without a function is "?ADDR@MAPPINGFILE". Derived from
# the pprof -raw text (Samples, Locations, Mappings sections).
stacks() {
	raw "$1" | awk '
	/^Samples:/ { sec = "s"; getline; next }
	/^Locations/ { sec = "l"; next }
	/^Mappings/ { sec = "m"; next }
	sec == "s" && /^ +[0-9]+ +[0-9]+: / {
		n++; split($0, a, ":"); vals[n] = a[1]; gsub(/^ +| +$/, "", vals[n]);
		gsub(/ +/, " ", vals[n]); ids[n] = a[2]; lab[n] = ""; next }
	sec == "s" && /^                [a-z]/ { l = $0; gsub(/^ +/, "", l);
		lab[n] = lab[n] (lab[n] == "" ? "" : " ") l; next }
	sec == "l" && /^ +[0-9]+: 0x/ {
		id = $1; sub(":", "", id); addr[id] = $2; fi = 3; lm[id] = "";
		if ($3 ~ /^M=/) { lm[id] = substr($3, 3); fi = 4 }
		name[id] = $fi; next }
	sec == "m" && /^[0-9]+: / { id = $1; sub(":", "", id); mfile[id] = $3 }
	END {
		for (i = 1; i <= n; i++) {
			s = ""; k = split(ids[i], f, " ");
			for (j = 1; j <= k; j++) {
				x = f[j]; nm = name[x];
				if (nm == "") nm = "?" addr[x] "@" mfile[lm[x]];
				s = s (j > 1 ? ";" : "") nm;
			}
			print vals[i] " | " s " | " lab[i];
		}
	}'
}

# mappings FILE: "start/limit/offset file buildid flags" per mapping
mappings() { raw "$1" | sed -n '/^Mappings/,$p' | tail -n +2 | cut -d' ' -f2-; }

# expect_line TEXT FILE: FILE has a line equal to TEXT
expect_line() {
	grep -qxF -- "$1" "$2" || die "no line: $1
--- in $2:
$(cat "$2")"
}

# header LINE: the records' first line with a fixed window; HDR2 for
# version 2 (mapping records)
HDR="kprofmap-samples 1 freq=999 cpus=2 start_ns=1700000000000000000 end_ns=1700000002500000000 max_depth=64"
HDR2="kprofmap-samples 2 ${HDR#kprofmap-samples 1 }"
HDR3="kprofmap-samples 3 ${HDR#kprofmap-samples 1 }"
HDR4="kprofmap-samples 4 ${HDR#kprofmap-samples 1 }"
PERIOD=$((1000000000 / 999))

# The malformed inputs, tested below. Each case:
#   name | line | message part | input (printf %b)
GOOD='S 1 10 10 a - k=1 u=2'
H=$HDR
H2=$HDR2
H3=$HDR3
H4=$HDR4
G1='G 1 4000 100 0'
M1='M 1 1000 2000 0 abcd /bin/x\\x20(deleted)'
MALFORMED=(
	"empty file|1|empty input|"
	"bad magic|1|not a kprofmap samples file|kprofmap-sample 1 freq=1 cpus=1 start_ns=0 end_ns=0\n"
	"wrong version|1|unsupported format version 5 (this kprof2pprof reads versions 1 to 4)|kprofmap-samples 5 freq=1 cpus=1 start_ns=0 end_ns=0\n"
	"version 0|1|unsupported format version 0|kprofmap-samples 0 freq=1 cpus=1 start_ns=0 end_ns=0\n"
	"missing freq|1|required key freq= missing|kprofmap-samples 1 cpus=1 start_ns=0 end_ns=0\n"
	"freq zero|1|freq=0 out of range|kprofmap-samples 1 freq=0 cpus=1 start_ns=0 end_ns=0\n"
	"duplicate key|1|cpus= given twice|kprofmap-samples 1 freq=1 cpus=1 cpus=2 start_ns=0 end_ns=0\n"
	"end before start|1|end_ns is before start_ns|kprofmap-samples 1 freq=1 cpus=1 start_ns=5 end_ns=4\n"
	"max_depth too big|1|max_depth=256 out of range|kprofmap-samples 1 freq=1 cpus=1 start_ns=0 end_ns=0 max_depth=256\n"
	"truncated last line|3|no newline at the end|$H\n$GOOD\nS 1 10 10 a - k=1 u="
	"missing field|2|has 7 fields, expected 8|$H\nS 1 10 10 a - k=1\n"
	"count zero|2|count 0 out of range|$H\nS 0 10 10 a - k=1 u=\n"
	"absurd count|2|count 1000000000001 out of range|$H\nS 1000000000001 10 10 a - k=1 u=\n"
	"count leading zero|2|count \"01\" is not a decimal|$H\nS 01 10 10 a - k=1 u=\n"
	"pid too big|3|tgid 4194305 out of range|$H\n$GOOD\nS 1 4194305 1 a - k=1 u=\n"
	"tid 0 with tgid|2|both 0 (idle) or both non-zero|$H\nS 1 10 0 a - k=1 u=\n"
	"idle with user stack|2|idle task (tgid 0) has no user stack|$H\nS 1 0 0 a - k=1 u=2\n"
	"bad hex|2|bad address \"12g4\"|$H\nS 1 10 10 a - k=12g4 u=\n"
	"uppercase hex|2|bad address \"FF\"|$H\nS 1 10 10 a - k=FF u=\n"
	"0x prefix|2|bad address \"0x10\"|$H\nS 1 10 10 a - k= u=0x10\n"
	"17 hex digits|2|bad address \"10000000000000000\"|$H\nS 1 10 10 a - k=10000000000000000 u=\n"
	"empty pc|2|bad address \"\"|$H\nS 1 10 10 a - k=1,,2 u=\n"
	"trailing comma|2|ends with a comma|$H\nS 1 10 10 a - k=1,2, u=\n"
	"k and u swapped|2|expected k=<pcs>|$H\nS 1 10 10 a - u=1 k=2\n"
	"too deep|2|user stack deeper than max_depth=2|kprofmap-samples 1 freq=1 cpus=1 start_ns=0 end_ns=0 max_depth=2\nS 1 10 10 a - k= u=1,2,3\n"
	"K flag, short stack|2|flag K (kernel stack truncated) but 1 kernel frames|$H\nS 1 10 10 a K k=1 u=\n"
	"bad flags|2|bad flags \"KK\"|$H\nS 1 10 10 a KK k=1 u=\n"
	"comm too long|2|longer than 15 bytes|$H\nS 1 10 10 abcdefghijklmnop - k=1 u=\n"
	"comm bad escape|2|bad escape|$H\nS 1 10 10 a\\\\xZZ - k=1 u=\n"
	"comm needless escape|2|escaped byte that is written literally|$H\nS 1 10 10 \\\\x41 - k=1 u=\n"
	"double space|2|empty field|$H\nS 1 10 10 a -  k=1 u=\n"
	"CRLF|2|carriage return|$H\nS 1 10 10 a - k=1 u=\r\n"
	"NUL byte|2|NUL byte in line|$H\nS 1 10 10 a\0 - k=1 u=\n"
	"tab|2|byte 0x09 in line|$H\nS\t1 10 10 a - k=1 u=\n"
	"empty line|2|empty line|$H\n\n"
	"unknown record|3|unknown record type \"X\"|$H\n$GOOD\nX 1\n"
	"lost count mismatch|3|count 5 is not alloc + cap|$H\n$GOOD\nL 5 alloc=1 cap=3\n"
	"lost zero|2|count 0 out of range|$H\nL 0 alloc=0 cap=0\n"
	"lost bad field|2|expected cap=<decimal>|$H\nL 1 alloc=1 kap=0\n"
	"record after L|3|L must be the last line|$H\nL 1 alloc=1 cap=0\n$GOOD\n"
	"count overflows period|2|count * period overflows|kprofmap-samples 1 freq=1 cpus=1 start_ns=0 end_ns=0\nS 999999999999 10 10 a - k=1 u=\n"
	# version 2: G and M lines before the S lines, m= on every S line
	"v1: G line|2|G record in a version 1 file|$H\n$G1\n"
	"v1: m= field|2|has 9 fields, expected 8|$H\nS 1 10 10 a - k=1 u=2 m=0\n"
	"v2: S without m=|2|has 8 fields, expected 9|$H2\nS 1 10 10 a - k=1 u=2\n"
	"v2: bad m=|2|expected m=<generation>|$H2\nS 1 10 10 a - k=1 u=2 m=x\n"
	"v2: m= names no G line|4|m=5: no G line of generation 5|$H2\n$G1\n$M1\nS 1 10 10 a - k=1 u=2 m=5\n"
	"v2: G field count|2|has 4 fields, expected 5|$H2\nG 1 4000 100\n"
	"v2: G generation 0|2|generation 0 out of range|$H2\nG 0 4000 100 0\n"
	"v2: G tgid 0|2|tgid 0 out of range|$H2\nG 1 0 100 0\n"
	"v2: G bad boot_ns|2|boot_ns \"1e9\" is not a decimal|$H2\nG 1 4000 1e9 0\n"
	"v2: duplicate G|4|generation 1 given twice|$H2\n$G1\n$M1\n$G1\n"
	"v2: M field count|3|has 6 fields, expected 7|$H2\n$G1\nM 1 1000 2000 0 -\n"
	"v2: M bad hex|3|bad start \"12g4\"|$H2\n$G1\nM 1 12g4 2000 0 - /x\n"
	"v2: M bad pgoff|3|bad pgoff \"0x0\"|$H2\n$G1\nM 1 1000 2000 0x0 - /x\n"
	"v2: M start = end|3|start 2000 is not below end 2000|$H2\n$G1\nM 1 2000 2000 0 - /x\n"
	"v2: M start > end|3|start 3000 is not below end 2000|$H2\n$G1\nM 1 3000 2000 0 - /x\n"
	"v2: M of an unknown generation|3|generation 7 before any G line of it|$H2\n$G1\nM 7 1000 2000 0 - /x\n"
	"v2: M before its G|2|generation 1 before any G line of it|$H2\n$M1\n$G1\n"
	"v2: M after another G|4|generation 1 after the G line of generation 2|$H2\n$G1\nG 2 4000 100 1\n$M1\n"
	"v2: build id odd length|3|bad build id \"abc\"|$H2\n$G1\nM 1 1000 2000 0 abc /x\n"
	"v2: build id of 42 digits|3|bad build id|$H2\n$G1\nM 1 1000 2000 0 $(printf '%042d' 1) /x\n"
	"v2: build id uppercase|3|bad build id \"ABCD\"|$H2\n$G1\nM 1 1000 2000 0 ABCD /x\n"
	"v2: path bad escape|3|\": bad escape (must be|$H2\n$G1\nM 1 1000 2000 0 - /a\\\\xZZ\n"
	"v2: path needless escape|3|escaped byte that is written literally|$H2\n$G1\nM 1 1000 2000 0 - \\\\x2fa\n"
	"v2: path with a NUL|3|x00 inside the field|$H2\n$G1\nM 1 1000 2000 0 - /a\\\\x00\n"
	"v2: G after the first S|3|G record after the first S record|$H2\nS 1 10 10 a - k=1 u= m=0\n$G1\n"
	"v2: M after the first S|4|M record after the first S record|$H2\n$G1\nS 1 10 10 a - k=1 u= m=1\n$M1\n"
	"v2: unknown record|2|expected G, M, S or L|$H2\nX 1\n"
	# version 3: G and M lines may follow S lines, each before its first use
	"v3: M after an S line|5|mapping record of generation 1 after an S line|$H3\n$G1\n$M1\nS 1 10 10 a - k=1 u= m=1\n$M1\n"
	"v3: S before its G|3|m=2: no G line of generation 2|$H3\n$G1\nS 1 10 10 a - k=1 u= m=2\nG 2 4000 100 1\n"
	"v3: G twice, apart|5|generation 1 given twice|$H3\n$G1\n$M1\nS 1 10 10 a - k=1 u= m=1\n$G1\n"
	"v3: G after L|4|L must be the last line|$H3\n$GOOD m=0\nL 1 alloc=1 cap=0\n$G1\n"
	# version 4: C lines (cgroup id -> path), c= last on every S line
	"v3: C line|2|C record in a version 3 file (cgroup records are version 4)|$H3\nC 1 /\n"
	"v3: c= field|2|has 10 fields, expected 9|$H3\n$GOOD m=0 c=0\n"
	"v4: S without c=|2|has 9 fields, expected 10|$H4\n$GOOD m=0\n"
	"v4: bad c=|2|expected c=<cgroup id> (decimal), got \"c=-1\"|$H4\n$GOOD m=0 c=-1\n"
	"v4: c= leading zero|2|expected c=<cgroup id>|$H4\n$GOOD m=0 c=01\n"
	"v4: c= and m= swapped|2|expected m=<generation>|$H4\n$GOOD c=0 m=0\n"
	"v4: C field count|2|has 2 fields, expected 3: C id path|$H4\nC 1\n"
	"v4: C id 0|2|cgroup id 0 out of range|$H4\nC 0 /\n"
	"v4: C id not decimal|2|cgroup id \"0x10\" is not a decimal|$H4\nC 0x10 /\n"
	"v4: C id twice|3|cgroup id 7 given twice|$H4\nC 7 /a\nC 7 /a\n"
	"v4: C relative path|2|path \"a/b\" does not start with /|$H4\nC 7 a/b\n"
	"v4: C path --|2|path \"--\" does not start with /|$H4\nC 7 --\n"
	"v4: C path bad escape|2|\": bad escape (must be|$H4\nC 7 /a\\\\x2\n"
	"v4: C path with a NUL|2|x00 inside the field|$H4\nC 7 /a\\\\x00\n"
	"v4: M after a C line|5|mapping record of generation 1 after a C line|$H4\n$G1\n$M1\nC 7 /a\n$M1\n"
	"v4: C after L|3|L must be the last line|$H4\nL 1 alloc=1 cap=0\nC 7 /a\n"
	"v4: unknown record|2|expected G, M, C, S or L|$H4\nX 1\n"
)

# --- plan --------------------------------------------------------------------

# Our own tests: 28 (count a new one here), one per malformed input, and
# unit_test's. ktap_finished fails a run that ran another number.
OWN_TESTS=37
"$SANDIR/unit_test" > "$T/unit.tap" 2>&1
UNIT_RC=$?
ktap_header
ktap_plan $((OWN_TESTS + ${#MALFORMED[@]} + $(ktap_plan_of "$T/unit.tap")))

# --- build the test binaries ---------------------------------------------

B=$T/bin
mkdir -p "$B" "$T/proc" "$T/sys/kernel" "$T/nodebug"
build_bins() {
	local S=$HERE/testprog
	# A library whose segments all sit 0x10000000 above their file
	# offsets (a prelinked base): vaddr != offset for the code.
	$CC -O0 -g0 -falign-functions=1 -fno-omit-frame-pointer -fPIC -shared \
		-Wl,-Ttext-segment=0x10000000 -Wl,--build-id \
		-o "$B/libkpt.so" "$S/kpt_lib.c" &&
	$CC -O0 -fno-omit-frame-pointer -fPIE -pie -Wl,--build-id \
		-o "$B/kpt_pie" "$S/kpt_main.c" -L"$B" -lkpt &&
	$CC -O0 -fno-omit-frame-pointer -no-pie -Wl,--build-id \
		-o "$B/kpt_exec" "$S/kpt_main.c" -L"$B" -lkpt &&
	strip --strip-all -o "$B/libkpt_stripped.so" "$B/libkpt.so" &&
	mkdir -p "$T/debug/.build-id" &&
	$CC -O2 -o "$B/dump_vdso" "$S/dump_vdso.c" &&
	"$B/dump_vdso" "$B/vdso.so" || return 1
	if command -v ld.lld >/dev/null && command -v clang >/dev/null; then
		# lld: the code segment's offset is not page-aligned and
		# differs from its vaddr (0x690 -> 0x1690 style).
		clang -O0 -fno-omit-frame-pointer -fPIC -shared -fuse-ld=lld \
			-Wl,--build-id -o "$B/libkpt_lld.so" "$S/kpt_lib.c" || return 1
	fi
}
ktap_result "build test binaries (PIE, non-PIE, shared libraries, vDSO dump)" build_bins

# sym FILE NAME: "VALUE SIZE" of a function symbol, from nm
sym() {
	nm -S --defined-only "$1" | awk -v n="$2" \
		'$4 == n && ($3 == "T" || $3 == "t") { print "0x" $1, "0x" $2; exit }'
}
# dsym FILE NAME: value of a dynamic symbol, from nm -D
dsym() {
	nm -D --defined-only "$1" | awk -v n="$2" '$3 == n { print "0x" $1; exit }'
}
build_id() { readelf -n "$1" | awk '/Build ID:/ { print $3; exit }'; }
inode() { stat -c %i "$1"; }
PAGE=4096
pgdown() { echo $(( $1 & ~(PAGE - 1) )); }
pgup() { echo $(( ($1 + PAGE - 1) & ~(PAGE - 1) )); }

# maps_of FILE BIAS [INODE]: the maps lines the kernel would show for FILE
# loaded with load bias BIAS, one per PT_LOAD (from readelf -l).
maps_of() {
	local f=$1 bias=$2 ino=${3:-$(inode "$1")} off va fsz msz flags rest
	readelf -lW "$f" | awk '$1 == "LOAD" {
		flags = ""; for (i = 7; i < NF; i++) flags = flags $i; print $2, $3, $5, $6, flags }' |
	while read -r off va fsz msz flags; do
		local s=$(( bias + $(pgdown "$va") )) e=$(( bias + $(pgup $((va + msz))) ))
		local p=r
		case $flags in *W*) p=${p}w ;; *) p=${p}- ;; esac
		case $flags in *E*) p=${p}x ;; *) p=${p}- ;; esac
		printf '%x-%x %sp %08x 08:01 %s %s\n' "$s" "$e" "$p" \
			"$(pgdown "$off")" "$ino" "$f"
	done
}

# first_vaddr FILE: p_vaddr of the first PT_LOAD
first_vaddr() { readelf -lW "$1" | awk '$1 == "LOAD" { print $3; exit }'; }

# --- the synthetic system ------------------------------------------------

PIE_BASE=$((0x55d4c8a00000))
LIB_BASE=$((0x7f3a1c000000))
STRIP_BASE=$((0x7f3a1e000000))
LLD_BASE=$((0x7f3a20000000))
EXEC_LIB_BASE=$((0x7f3a22000000))
VDSO_BASE=$((0x7ffc1e5f0000))

setup_system() {
	local lib_bias=$(( LIB_BASE - $(first_vaddr "$B/libkpt.so") ))
	local vdso_len=$(pgup "$(stat -c %s "$B/vdso.so")")
	# pid 1000: the PIE, libkpt (prelinked base), the stripped copy,
	# the lld library, the vDSO, a stack and an anonymous region
	mkdir -p "$T/proc/1000" "$T/proc/1003" "$T/proc/1002" "$T/proc/1004"
	{
		maps_of "$B/kpt_pie" "$PIE_BASE"
		printf '%x-%x rw-p 00000000 00:00 0 \n' $((PIE_BASE + 0x100000)) $((PIE_BASE + 0x121000))
		echo "$(hex $((PIE_BASE + 0x200000)))-$(hex $((PIE_BASE + 0x221000))) rw-p 00000000 00:00 0                          [heap]"
		maps_of "$B/libkpt.so" "$lib_bias"
		maps_of "$B/libkpt_stripped.so" \
			$(( STRIP_BASE - $(first_vaddr "$B/libkpt_stripped.so") ))
		[ -f "$B/libkpt_lld.so" ] && maps_of "$B/libkpt_lld.so" \
			$(( LLD_BASE - $(first_vaddr "$B/libkpt_lld.so") ))
		echo "7ffc1e4d0000-7ffc1e4f1000 rw-p 00000000 00:00 0                          [stack]"
		printf '%x-%x r-xp 00000000 00:00 0                          [vdso]\n' \
			"$VDSO_BASE" $((VDSO_BASE + vdso_len))
	} > "$T/proc/1000/maps"
	# pid 1003: another process with the same layout (a fork)
	cp "$T/proc/1000/maps" "$T/proc/1003/maps"
	# pid 1002: libkpt.so mapped, but the file on disk has another inode
	maps_of "$B/libkpt.so" "$lib_bias" 999999999 > "$T/proc/1002/maps"
	# pid 1004: the non-PIE executable
	{
		maps_of "$B/kpt_exec" 0
		maps_of "$B/libkpt.so" $(( EXEC_LIB_BASE - $(first_vaddr "$B/libkpt.so") ))
	} > "$T/proc/1004/maps"
	# pid 1001 has exited: no directory

	# kallsyms: text, data, weak, aliases, module symbols, _etext
	cat > "$T/kallsyms" <<-'EOF'
	ffffffff81000000 T _stext
	ffffffff81000000 T startup_64
	ffffffff81001000 T do_syscall_64
	ffffffff81001200 t ksys_read
	ffffffff81001400 T vfs_read
	ffffffff81001600 W weak_hook
	ffffffff81001800 D some_data
	ffffffff81002000 T read_zero
	ffffffff81003000 T _etext
	ffffffffc0a01000 t kpm_sample_tick	[kprofmap]
	ffffffffc0a01400 T kpm_proc_show	[kprofmap]
	ffffffffc0b02000 t e1000_intr	[e1000]
	EOF
	# /sys/kernel/notes and a module's notes: GNU build-id notes
	mknote() {
		# namesz=4 descsz=20 type=3 "GNU\0" + 20 bytes $1..$1+19
		printf '\x04\x00\x00\x00\x14\x00\x00\x00\x03\x00\x00\x00GNU\x00'
		local i
		for i in $(seq 0 19); do printf "\\x$(printf %02x $(($1 + i)))"; done
	}
	mknote 16 > "$T/sys/kernel/notes"
	mkdir -p "$T/sys/module/kprofmap/notes"
	mknote 96 > "$T/sys/module/kprofmap/notes/.note.gnu.build-id"
}
KERNEL_BID=$(for i in $(seq 0 19); do printf %02x $((16 + i)); done)
MOD_BID=$(for i in $(seq 0 19); do printf %02x $((96 + i)); done)
ktap_result "synthetic /proc, kallsyms and /sys" setup_system

# The records used by several tests; every address is derived above.
set -- $(sym "$B/kpt_pie" kpt_main_leaf); PIE_LEAF=$1 PIE_LEAF_SZ=$2
set -- $(sym "$B/kpt_pie" kpt_main_work); PIE_WORK=$1
set -- $(sym "$B/kpt_pie" main); PIE_MAIN=$1
set -- $(sym "$B/libkpt.so" kpt_lib_alpha); LIB_ALPHA=$1 LIB_ALPHA_SZ=$2
set -- $(sym "$B/libkpt.so" kpt_lib_beta); LIB_BETA=$1
set -- $(sym "$B/libkpt.so" kpt_lib_hidden); LIB_HIDDEN=$1
set -- $(sym "$B/libkpt.so" kpt_lib_entry); LIB_ENTRY=$1
LIB_BIAS=$(( LIB_BASE - $(first_vaddr "$B/libkpt.so") ))
set --

# u ADDR: a user address as it appears in a record
u() { hex "$1"; }

# The main record of pid 1000: kernel read path on top of
# main -> kpt_main_work -> kpt_lib_entry -> kpt_lib_hidden -> kpt_lib_beta
# -> kpt_lib_alpha (leaf). Callers are return addresses (function + 5).
R_LEAF=$(u $((LIB_BIAS + LIB_ALPHA + 4)))
R_BETA=$(u $((LIB_BIAS + LIB_BETA + 9)))
R_HIDDEN=$(u $((LIB_BIAS + LIB_HIDDEN + 9)))
R_ENTRY=$(u $((LIB_BIAS + LIB_ENTRY + 9)))
R_WORK=$(u $((PIE_BASE + PIE_WORK + 9)))
R_MAIN=$(u $((PIE_BASE + PIE_MAIN + 9)))
K_STACK=ffffffff81002010,ffffffff81001405,ffffffff81001207,ffffffff81001055,ffffffffc0a01009
K_NAMES="read_zero;vfs_read;ksys_read;do_syscall_64;kpm_sample_tick"
U_STACK=$R_LEAF,$R_BETA,$R_HIDDEN,$R_ENTRY,$R_WORK,$R_MAIN
U_NAMES="kpt_lib_alpha;kpt_lib_beta;kpt_lib_hidden;kpt_lib_entry;kpt_main_work;main"

cat > "$T/main.txt" <<EOF
$HDR
S 11 1000 1001 kpt_pie - k=$K_STACK u=$U_STACK
S 12 1000 1000 kpt_pie - k= u=$(u $((PIE_BASE + PIE_LEAF + 3))),$R_WORK,$R_MAIN
S 13 0 0 swapper/1 - k=ffffffff81001603,ffffffffc0b02011 u=
EOF

test_kernel_user_names() {
	k2p -o "$T/main.pb.gz" "$T/main.txt" || die "exit $?: $(cat "$T/err")"
	stacks "$T/main.pb.gz" > "$T/main.stacks" || die "pprof failed: $(cat "$T/pprof.err")"
	expect_line "11 $((11 * PERIOD)) | $K_NAMES;$U_NAMES | comm:[kpt_pie] pid:[1000] tid:[1001]" "$T/main.stacks" &&
	expect_line "12 $((12 * PERIOD)) | kpt_main_leaf;kpt_main_work;main | comm:[kpt_pie] pid:[1000] tid:[1000]" "$T/main.stacks"
}
ktap_result "kernel + user stack: kallsyms, PIE and shared-library names, leaf first" test_kernel_user_names

test_idle_module() {
	# tgid 0: pprof drops numeric labels equal to 0, comm stays
	expect_line "13 $((13 * PERIOD)) | weak_hook;e1000_intr | comm:[swapper/1]" "$T/main.stacks"
}
ktap_result "idle task: weak and module kernel symbols" test_idle_module

test_mappings() {
	local m=$T/main.maps lib_x pie_x
	mappings "$T/main.pb.gz" > "$m"
	grep -q "^0x[0-9a-f]*/0x[0-9a-f]*/0x0 \[kernel.kallsyms\] $KERNEL_BID \[FN\]$" "$m" ||
		die "kernel mapping/build id: $(cat "$m")"
	grep -q " \[kprofmap\] $MOD_BID \[FN\]$" "$m" || die "module mapping: $(cat "$m")"
	grep -q " \[e1000\]  \[FN\]$" "$m" || die "module without notes: $(cat "$m")"
	# user mappings are exactly the r-x lines of maps, with build ids
	lib_x=$(grep "r-xp.*libkpt.so" "$T/proc/1000/maps" | head -1)
	pie_x=$(grep "r-xp.*kpt_pie" "$T/proc/1000/maps" | head -1)
	set -- ${lib_x/-/ }
	grep -qxF "0x$1/0x$2/0x${4##+(0)} $B/libkpt.so $(build_id "$B/libkpt.so") [FN]" "$m" 2>/dev/null ||
	grep -qxF "0x$1/0x$2/$(printf '%#x' 0x$4) $B/libkpt.so $(build_id "$B/libkpt.so") [FN]" "$m" ||
		die "libkpt mapping (maps: $lib_x): $(cat "$m")"
	set -- ${pie_x/-/ }
	grep -qxF "0x$1/0x$2/$(printf '%#x' 0x$4) $B/kpt_pie $(build_id "$B/kpt_pie") [FN]" "$m" ||
		die "kpt_pie mapping (maps: $pie_x): $(cat "$m")"
}
ktap_result "mappings: kernel and module build ids, user start/limit/offset/file/build id" test_mappings

test_addr_minus_one() {
	# alpha and beta are adjacent (-falign-functions=1): a return address
	# equal to beta's first byte belongs to alpha; as a leaf, to beta.
	[ $((LIB_ALPHA + LIB_ALPHA_SZ)) -eq $((LIB_BETA)) ] ||
		die "test library: kpt_lib_alpha does not end where kpt_lib_beta starts"
	local at=$(u $((LIB_BIAS + LIB_BETA)))
	printf '%s\nS 21 1000 1000 x - k= u=%s,%s\n' "$HDR" "$at" "$at" > "$T/adj.txt"
	k2p -o "$T/adj.pb.gz" "$T/adj.txt" || die "exit $?: $(cat "$T/err")"
	stacks "$T/adj.pb.gz" > "$T/adj.stacks"
	expect_line "21 $((21 * PERIOD)) | kpt_lib_beta;kpt_lib_alpha | comm:[x] pid:[1000] tid:[1000]" "$T/adj.stacks" &&
	# the same address is two locations: one per function
	[ "$(raw "$T/adj.pb.gz" | grep -c "^ *[0-9]*: 0x$at ")" = 2 ] ||
		die "expected two locations at 0x$at"
}
ktap_result "non-leaf frames are looked up at return address - 1" test_addr_minus_one

test_exec_and_stripped() {
	local e_leaf e_work s_beta s_hidden l_alpha l_hidden dbg
	set -- $(sym "$B/kpt_exec" kpt_main_leaf); e_leaf=$1
	set -- $(sym "$B/kpt_exec" kpt_main_work); e_work=$1
	s_beta=$(dsym "$B/libkpt_stripped.so" kpt_lib_beta)
	[ -z "$(dsym "$B/libkpt_stripped.so" kpt_lib_hidden)" ] || die "hidden is exported"
	s_hidden=$LIB_HIDDEN	# from the unstripped copy's .symtab
	local sbias=$(( STRIP_BASE - $(first_vaddr "$B/libkpt_stripped.so") ))
	{
		echo "$HDR"
		echo "S 31 1004 1004 kpt_exec - k= u=$(u $((e_leaf + 2))),$(u $((e_work + 9)))"
		echo "S 32 1000 1000 x - k= u=$(u $((sbias + s_beta + 2))),$(u $((sbias + s_hidden + 9)))"
	} > "$T/strip.txt"
	k2p -o "$T/strip.pb.gz" "$T/strip.txt" || die "exit $?: $(cat "$T/err")"
	stacks "$T/strip.pb.gz" > "$T/strip.stacks"
	expect_line "31 $((31 * PERIOD)) | kpt_main_leaf;kpt_main_work | comm:[kpt_exec] pid:[1004] tid:[1004]" "$T/strip.stacks" || return 1
	expect_line "32 $((32 * PERIOD)) | kpt_lib_beta;?0x$(u $((sbias + s_hidden + 9)))@$B/libkpt_stripped.so | comm:[x] pid:[1000] tid:[1000]" "$T/strip.stacks" || return 1
	# the stripped library's mapping is not marked as symbolized
	mappings "$T/strip.pb.gz" | grep -q "libkpt_stripped.so $(build_id "$B/libkpt_stripped.so") $" ||
		die "stripped mapping should lack [FN]: $(mappings "$T/strip.pb.gz")"
	# with the debug file found by build id, the local function is named
	dbg=$(build_id "$B/libkpt.so")
	mkdir -p "$T/debug/.build-id/${dbg:0:2}"
	objcopy --only-keep-debug "$B/libkpt.so" "$T/debug/.build-id/${dbg:0:2}/${dbg:2}.debug"
	"$K2P" --proc-root "$T/proc" --kallsyms "$T/kallsyms" --sys-root "$T/sys" \
		--debug-dir "$T/debug" -o "$T/dbg.pb.gz" "$T/strip.txt" 2>"$T/err" ||
		die "exit $?: $(cat "$T/err")"
	stacks "$T/dbg.pb.gz" | grep -qxF "32 $((32 * PERIOD)) | kpt_lib_beta;kpt_lib_hidden | comm:[x] pid:[1000] tid:[1000]" ||
		die "debug file not used: $(stacks "$T/dbg.pb.gz")"
}
ktap_result "non-PIE executable; stripped library (.dynsym, unnamed local keeps address); debug file by build id" test_exec_and_stripped

test_lld() {
	local a h bias
	set -- $(sym "$B/libkpt_lld.so" kpt_lib_alpha); a=$1
	set -- $(sym "$B/libkpt_lld.so" kpt_lib_hidden); h=$1
	bias=$(( LLD_BASE - $(first_vaddr "$B/libkpt_lld.so") ))
	printf '%s\nS 41 1000 1000 x - k= u=%s,%s\n' "$HDR" \
		"$(u $((bias + a + 3)))" "$(u $((bias + h + 9)))" > "$T/lld.txt"
	k2p -o "$T/lld.pb.gz" "$T/lld.txt" || die "exit $?: $(cat "$T/err")"
	stacks "$T/lld.pb.gz" | grep -qxF "41 $((41 * PERIOD)) | kpt_lib_alpha;kpt_lib_hidden | comm:[x] pid:[1000] tid:[1000]" ||
		die "$(stacks "$T/lld.pb.gz"; readelf -lW "$B/libkpt_lld.so" | grep LOAD; cat "$T/proc/1000/maps")"
}
if [ -f "$B/libkpt_lld.so" ]; then
	ktap_result "lld-linked library: code segment offset != vaddr, page shared with another segment" test_lld
else
	ktap_skip "lld-linked library" "ld.lld or clang not installed"
fi

test_vdso() {
	local f a
	f=$(nm -D --defined-only "$B/vdso.so" | awk '$2 == "T" || $2 == "W" { print $3; exit }')
	f=${f%%@*}
	a=$(dsym "$B/vdso.so" "$f"); [ -n "$a" ] || a=$(nm -D "$B/vdso.so" | awk -v n="$f" '$3 ~ "^"n"(@|$)" { print "0x" $1; exit }')
	[ -n "$f" ] && [ -n "$a" ] || die "no function in the vDSO dump"
	printf '%s\nS 51 1000 1000 x - k= u=%s\n' "$HDR" "$(u $((VDSO_BASE + a + 1)))" > "$T/vdso.txt"
	k2p -o "$T/vdso.pb.gz" "$T/vdso.txt" || die "exit $?: $(cat "$T/err")"
	# the name nm gives may carry a version (@@LINUX_2.6); the symbol
	# table name does not
	stacks "$T/vdso.pb.gz" | grep -q "^51 [0-9]* | \(__vdso_\)\?${f#__vdso_} |" ||
		die "$f: $(stacks "$T/vdso.pb.gz")"
}
ktap_result "[vdso] frames named from this kernel's vDSO" test_vdso

test_exited_replaced_shared() {
	{
		echo "$HDR"
		echo "S 61 1001 1001 gone - k=ffffffff81001010 u=7f0000001234,7f0000005678"
		echo "S 62 1002 1002 replaced - k= u=$R_LEAF"
		echo "S 63 1003 1003 forked - k= u=$U_STACK"
		echo "S 64 1000 1000 kpt_pie - k= u=$U_STACK"
		echo "S 65 1000 1000 kpt_pie - k= u=$(u $((PIE_BASE + 0x200100))),10"
	} > "$T/procs.txt"
	k2p -o "$T/procs.pb.gz" "$T/procs.txt" || die "exit $?: $(cat "$T/err")"
	stacks "$T/procs.pb.gz" > "$T/procs.stacks"
	expect_line "61 $((61 * PERIOD)) | do_syscall_64;?0x7f0000001234@[exited;?0x7f0000005678@[exited | comm:[gone] pid:[1001] tid:[1001]" "$T/procs.stacks" || return 1
	raw "$T/procs.pb.gz" | grep -q "^[0-9]*: 0x7f0000001234/0x7f0000005679/0x0 \[exited pid 1001\]" ||
		die "exited mapping: $(mappings "$T/procs.pb.gz")"
	expect_line "62 $((62 * PERIOD)) | ?0x$R_LEAF@$B/libkpt.so | comm:[replaced] pid:[1002] tid:[1002]" "$T/procs.stacks" || return 1
	grep -q "inode differs" "$T/err" || die "no warning about the replaced file: $(cat "$T/err")"
	expect_line "63 $((63 * PERIOD)) | $U_NAMES | comm:[forked] pid:[1003] tid:[1003]" "$T/procs.stacks" || return 1
	# [heap] keeps its region as mapping; address 0x10 is in no region
	expect_line "65 $((65 * PERIOD)) | ?0x$(u $((PIE_BASE + 0x200100)))@[heap];?0x10@[unmapped | comm:[kpt_pie] pid:[1000] tid:[1000]" "$T/procs.stacks" || return 1
	# a fork's identical layout shares the mappings and locations
	[ "$(mappings "$T/procs.pb.gz" | grep -c " $B/libkpt.so ")" = 2 ] ||
		die "expected libkpt.so twice (pid 1000/1003 shared + pid 1002): $(mappings "$T/procs.pb.gz")"
	[ "$(raw "$T/procs.pb.gz" | grep -c "^ *[0-9]*: 0x$R_LEAF ")" = 2 ] ||
		die "expected two locations at 0x$R_LEAF (shared + replaced)"
}
ktap_result "exited process, replaced file, shared layout of a fork, heap and unmapped addresses" test_exited_replaced_shared

test_labels_utf8() {
	{
		echo "$HDR"
		echo 'S 71 1000 1005 a\x20b\x5cc\x09 - k=ffffffff81001010 u='
		echo 'S 72 1000 1006 \xc3\xa9t\xc3\xa9 - k=ffffffff81001010 u='
		echo 'S 73 1000 1007 bad\xff\xfe - k=ffffffff81001010 u='
		echo 'S 74 1000 1008 \x00 - k=ffffffff81001010 u='
	} > "$T/lab.txt"
	k2p -o "$T/lab.pb.gz" "$T/lab.txt" || die "exit $?: $(cat "$T/err")"
	stacks "$T/lab.pb.gz" > "$T/lab.stacks"
	expect_line "71 $((71 * PERIOD)) | do_syscall_64 | comm:[a b\\c	] pid:[1000] tid:[1005]" "$T/lab.stacks" &&
	expect_line "72 $((72 * PERIOD)) | do_syscall_64 | comm:[été] pid:[1000] tid:[1006]" "$T/lab.stacks" &&
	expect_line "73 $((73 * PERIOD)) | do_syscall_64 | comm:[bad��] pid:[1000] tid:[1007]" "$T/lab.stacks" &&
	expect_line "74 $((74 * PERIOD)) | do_syscall_64 | comm:[-] pid:[1000] tid:[1008]" "$T/lab.stacks"
}
ktap_result "labels: pid, tid, comm unescaped; invalid UTF-8 repaired; empty comm" test_labels_utf8

test_header_lost_trunc() {
	local k64 u64 i
	k64=$(for i in $(seq 1 64); do printf 'ffffffff810014%02x,' $i; done); k64=${k64%,}
	u64=$(for i in $(seq 1 64); do printf '%x,' $((PIE_BASE + PIE_LEAF + 1 + i % 8)); done); u64=${u64%,}
	{
		echo "$HDR"
		echo "S 81 1000 1000 x K k=$k64 u=$R_MAIN"
		echo "S 82 1000 1000 x U k= u=$u64"
		echo "L 9 alloc=4 cap=5"
	} > "$T/lost.txt"
	k2p -o "$T/lost.pb.gz" "$T/lost.txt" || die "exit $?: $(cat "$T/err")"
	raw "$T/lost.pb.gz" > "$T/lost.raw"
	stacks "$T/lost.pb.gz" > "$T/lost.stacks"
	grep -qx "PeriodType: cpu nanoseconds" "$T/lost.raw" &&
	grep -qx "Period: $PERIOD" "$T/lost.raw" &&
	grep -qx "Duration: 2.5s" "$T/lost.raw" &&
	grep -qx "Time: $(TZ=UTC date -d @1700000000 '+%Y-%m-%d %H:%M:%S') +0000 UTC" <(TZ=UTC raw "$T/lost.pb.gz") &&
	grep -qx "samples/count cpu/nanoseconds" "$T/lost.raw" ||
		die "header fields: $(head -8 "$T/lost.raw")"
	expect_line "81 $((81 * PERIOD)) | $(printf 'vfs_read;%.0s' $(seq 1 64))[truncated];main | comm:[x] truncated:[kernel] pid:[1000] tid:[1000]" "$T/lost.stacks" &&
	expect_line "82 $((82 * PERIOD)) | $(printf 'kpt_main_leaf;%.0s' $(seq 1 64))[truncated] | comm:[x] truncated:[user] pid:[1000] tid:[1000]" "$T/lost.stacks" &&
	expect_line "9 $((9 * PERIOD)) | [lost] | comm:[[lost]] lost_alloc:[4] lost_cap:[5]" "$T/lost.stacks"
}
ktap_result "period, time, duration; lost record as [lost]; truncated stacks marked" test_header_lost_trunc

test_folded() {
	k2p --folded -o "$T/main.folded" "$T/main.txt" || die "exit $?: $(cat "$T/err")"
	local rk rs
	rk=$(echo "$K_NAMES" | tr ';' '\n' | tac | paste -sd';')
	rs=$(echo "$U_NAMES" | tr ';' '\n' | tac | paste -sd';')
	cat > "$T/folded.expect" <<-EOF
	kpt_pie;$rs;$rk 11
	kpt_pie;main;kpt_main_work;kpt_main_leaf 12
	swapper/1;e1000_intr;weak_hook 13
	EOF
	diff -u "$T/folded.expect" "$T/main.folded" || return 1
	k2p --folded -o - "$T/procs.txt" > "$T/procs.folded" || die "exit $?"
	grep -qxF "gone;[exited pid 1001]+0x7f0000005678;[exited pid 1001]+0x7f0000001234;do_syscall_64 61" "$T/procs.folded" ||
		die "unnamed frames: $(cat "$T/procs.folded")"
	local off=$(( 0x$R_LEAF - 0x$(grep "r-xp.*libkpt.so" "$T/proc/1002/maps" | cut -d- -f1) + 0x$(grep "r-xp.*libkpt.so" "$T/proc/1002/maps" | awk '{print $3}') ))
	grep -qxF "replaced;libkpt.so+0x$(hex $off) 62" "$T/procs.folded" ||
		die "file offset of an unnamed frame: $(cat "$T/procs.folded")"
	k2p --folded -o - "$T/lost.txt" | grep -qxF "[lost];[lost] 9" || die "lost in folded"
}
ktap_result "--folded: comm;root;...;leaf count, unnamed frames as file+offset" test_folded

test_pprof_symbolize_keeps_names() {
	# With its own symbolization on, pprof must keep our names for
	# mappings marked [FN] (it re-symbolizes only the others).
	go tool pprof -raw "$T/main.pb.gz" > "$T/sym.raw" 2>&1 || die "$(cat "$T/sym.raw")"
	grep -q "kpt_lib_hidden" "$T/sym.raw" && grep -q "read_zero" "$T/sym.raw" ||
		die "$(cat "$T/sym.raw")"
	go tool pprof -top "$T/main.pb.gz" > "$T/top" 2>&1 &&
	grep -q "kpt_lib_alpha" "$T/top" || die "$(cat "$T/top")"
}
ktap_result "go tool pprof with its own symbolization keeps the names; -top works" test_pprof_symbolize_keeps_names

# gone_top NAME RECORDS...: NAME.pb.gz from records of pid 1006, whose only
# file ($T/gone/libgone.so, a stripped library) is deleted afterwards, as
# on a machine other than the profiled one; `go tool pprof -top` of it,
# stdout and stderr, in $T/NAME.top.
gone_top() {
	local name=$1
	shift
	printf '%s\n' "$HDR" "$@" > "$T/$name.txt"
	mkdir -p "$T/gone" "$T/proc/1006"
	cp "$B/libkpt_stripped.so" "$T/gone/libgone.so"
	maps_of "$T/gone/libgone.so" "$GONE_BIAS" > "$T/proc/1006/maps"
	k2p -o "$T/$name.pb.gz" "$T/$name.txt" || die "exit $?: $(cat "$T/err")"
	rm "$T/gone/libgone.so"
	go tool pprof -top "$T/$name.pb.gz" > "$T/$name.top" 2>&1 ||
		die "pprof: $(cat "$T/$name.top")"
}
GONE_BIAS=$(( STRIP_BASE - $(first_vaddr "$B/libkpt_stripped.so") ))

test_pprof_missing_binary() {
	local alpha beta hidden
	alpha=$(u $((GONE_BIAS + $(dsym "$B/libkpt_stripped.so" kpt_lib_alpha) + 2)))
	beta=$(u $((GONE_BIAS + $(dsym "$B/libkpt_stripped.so" kpt_lib_beta) + 9)))
	hidden=$(u $((GONE_BIAS + LIB_HIDDEN + 9)))	# not in .dynsym
	# every location named: pprof leaves the mapping alone
	gone_top named "S 91 1006 1006 gone - k=ffffffff81001010 u=$alpha,$beta"
	! grep "Local symbolization" "$T/named.top" || die "$(cat "$T/named.top")"
	grep -q " kpt_lib_alpha$" "$T/named.top" || die "$(cat "$T/named.top")"
	# one unnamed: pprof looks for the file, and this check would see it
	gone_top unnamed "S 92 1006 1006 gone - k= u=$alpha,$beta,$hidden"
	grep -q "Local symbolization failed for libgone.so" "$T/unnamed.top" ||
		die "no complaint about the unnamed location: $(cat "$T/unnamed.top")"
}
if command -v go >/dev/null; then
	ktap_result "go tool pprof -top, binary gone: no symbolization error when every location is named" test_pprof_missing_binary
else
	ktap_skip "go tool pprof with the binary gone" "go not installed (apt-get install golang-go)"
fi

test_empty_and_stdin() {
	echo "$HDR" | k2p -o "$T/empty.pb.gz" - || die "exit $?: $(cat "$T/err")"
	raw "$T/empty.pb.gz" > "$T/empty.raw" || die "$(cat "$T/pprof.err")"
	grep -qx "Period: $PERIOD" "$T/empty.raw" || die "$(cat "$T/empty.raw")"
	k2p -o - "$T/main.txt" > "$T/stdout.pb.gz" || die "exit $?"
	gzip -t "$T/stdout.pb.gz" && cmp -s <(stacks "$T/stdout.pb.gz") "$T/main.stacks" ||
		die "-o - differs from a file output"
}
ktap_result "header-only input from stdin; -o - writes the profile to stdout" test_empty_and_stdin

test_no_kallsyms() {
	"$K2P" --proc-root "$T/proc" --kallsyms "$T/missing" --sys-root "$T/sys" \
		-o "$T/nok.pb.gz" "$T/main.txt" 2>"$T/err" || die "exit $?"
	grep -q "kernel frames stay addresses" "$T/err" || die "no warning: $(cat "$T/err")"
	stacks "$T/nok.pb.gz" | grep -qF "| ?0xffffffff81002010@[kernel.kallsyms];" ||
		die "$(stacks "$T/nok.pb.gz")"
}
ktap_result "unreadable kallsyms: warning, kernel frames kept as addresses" test_no_kallsyms

# --- version 2: mapping records ----------------------------------------------

# exec_map FILE BIAS: "START END PGOFF" (hex, no 0x, no leading zero) of the
# executable PT_LOAD of FILE loaded with load bias BIAS: an M line's fields
exec_map() {
	maps_of "$1" "$2" 0 | awk '$2 ~ /x/ { split($1, a, "-"); print a[1], a[2], $3; exit }' |
		{ read -r s e o; echo "$s $e $(hex "0x$o")"; }
}
# m_line GEN FILE BIAS [BUILDID [PATH]]: the M line of FILE's code
m_line() {
	echo "M $1 $(exec_map "$2" "$3") ${4:-$(build_id "$2")} ${5:-$2}"
}
TICK_NS=$((1000000000 / $(getconf CLK_TCK)))
V2_PIE_BIAS=$((0x560000000000))
V2_LIB_BIAS=$(( 0x7f5000000000 - $(first_vaddr "$B/libkpt.so") ))
# return addresses in libkpt.so and kpt_pie loaded at those biases
V2_ALPHA=$(u $((V2_LIB_BIAS + LIB_ALPHA + 4)))
V2_HIDDEN=$(u $((V2_LIB_BIAS + LIB_HIDDEN + 9)))
V2_WORK=$(u $((V2_PIE_BIAS + PIE_WORK + 9)))

# gone_records HEADER ORDER: records of a process that is gone (tgid
# 3999999 has no PROC directory: only the records tell), its generations
# "first" (version 2: every G/M line before the S lines) or "interleaved"
# (version 3, as the module prints chunks: each generation just before
# the first S line naming it).
gone_records() {
	local lib_bias6 g5 g6 s101 s102
	set -- "$1" "$2" $(exec_map "$B/libkpt.so" 0)
	# gen 6, after an exec: libkpt.so's code where gen 5 had kpt_pie's
	lib_bias6=$(( 0x$(exec_map "$B/kpt_pie" $V2_PIE_BIAS | cut -d' ' -f1) - 0x$3 ))
	g5="G 5 3999999 123456789 0
$(m_line 5 "$B/kpt_pie" $V2_PIE_BIAS)
$(m_line 5 "$B/libkpt.so" $V2_LIB_BIAS)"
	g6="G 6 3999999 123456789 1
$(m_line 6 "$B/libkpt.so" $lib_bias6)"
	s101="S 101 3999999 3999999 gone2 - k= u=$V2_ALPHA,$V2_HIDDEN,$V2_WORK m=5"
	s102="S 102 3999999 3999999 gone2 - k= u=$(u $((lib_bias6 + LIB_BETA + 9))) m=6"
	echo "$1"
	if [ "$2" = first ]; then
		printf '%s\n' "$g5" "$g6" "$s101" "$s102"
	else
		printf '%s\n' "$g5" "$s101" "$g6" "$s102"
	fi
	echo "S 103 1000 1000 kpt_pie - k= u=$U_STACK m=0"
}

# gone_stacks NAME: NAME.txt converted; its three stacks named as the
# records say.
gone_stacks() {
	k2p -o "$T/$1.pb.gz" "$T/$1.txt" || die "exit $?: $(cat "$T/err")"
	stacks "$T/$1.pb.gz" > "$T/$1.stacks"
	expect_line "101 $((101 * PERIOD)) | kpt_lib_alpha;kpt_lib_hidden;kpt_main_work | comm:[gone2] pid:[3999999] tid:[3999999]" "$T/$1.stacks" &&
	expect_line "102 $((102 * PERIOD)) | kpt_lib_beta | comm:[gone2] pid:[3999999] tid:[3999999]" "$T/$1.stacks" &&
	expect_line "103 $((103 * PERIOD)) | $U_NAMES | comm:[kpt_pie] pid:[1000] tid:[1000]" "$T/$1.stacks"
}

test_v2_gone() {
	local lib_x
	gone_records "$HDR2" first > "$T/v2gone.txt"
	gone_stacks v2gone || return 1
	# one Mapping per M line, as the record has it
	lib_x=$(m_line 5 "$B/libkpt.so" $V2_LIB_BIAS)
	set -- $lib_x
	mappings "$T/v2gone.pb.gz" | grep -qxF "0x$3/0x$4/$(printf '%#x' 0x$5) $B/libkpt.so $6 [FN]" ||
		die "mapping of ($lib_x): $(mappings "$T/v2gone.pb.gz")"
	[ ! -s "$T/err" ] || die "warnings: $(cat "$T/err")"
}
ktap_result "v2 records, process gone: names from the files the M lines name; per-generation after exec; m=0 uses maps" test_v2_gone

# The same records as the module prints them from version 3: each
# chunk's new generations, then its samples.
test_v3_interleaved() {
	gone_records "$HDR3" interleaved > "$T/v3.txt"
	grep -q '^S 101 .*' "$T/v3.txt" && [ "$(sed -n 5p "$T/v3.txt" | cut -c1)" = S ] ||
		die "not interleaved: $(cat "$T/v3.txt")"
	gone_stacks v3 || return 1
	[ ! -s "$T/err" ] || die "warnings: $(cat "$T/err")"
}
ktap_result "v3 records, G/M lines between S lines: the same names as v2's order" test_v3_interleaved

test_v2_rebuilt() {
	local old new pc
	mkdir -p "$T/rebuilt"
	$CC -O0 -fPIC -shared -Wl,--build-id -o "$T/rebuilt/librb.so" "$HERE/testprog/kpt_lib.c" || return 1
	old=$(build_id "$T/rebuilt/librb.so")
	set -- $(sym "$T/rebuilt/librb.so" kpt_lib_alpha)
	pc=$(u $((0x7f6000000000 + $1 + 2)))
	{
		echo "$HDR2"
		echo "G 7 3999998 5 0"
		m_line 7 "$T/rebuilt/librb.so" $((0x7f6000000000))
		echo "G 8 3999997 5 0"
		m_line 8 "$T/rebuilt/librb.so" $((0x7f6000000000))
		echo "S 111 3999998 3999998 rb - k= u=$pc m=7"
		echo "S 112 3999997 3999997 rb - k= u=$pc m=8"
	} > "$T/rebuilt.txt"
	# rebuilt in place: other code, another build id, same path
	$CC -O2 -fPIC -shared -Wl,--build-id -o "$T/rebuilt/librb.so" "$HERE/testprog/kpt_lib.c" "$HERE/testprog/kpt_main.c" || return 1
	new=$(build_id "$T/rebuilt/librb.so")
	[ "$old" != "$new" ] || die "the rebuild kept build id $old"
	k2p -o "$T/rebuilt.pb.gz" "$T/rebuilt.txt" || die "exit $?: $(cat "$T/err")"
	stacks "$T/rebuilt.pb.gz" > "$T/rebuilt.stacks"
	expect_line "111 $((111 * PERIOD)) | ?0x$pc@$T/rebuilt/librb.so | comm:[rb] pid:[3999998] tid:[3999998]" "$T/rebuilt.stacks" &&
	expect_line "112 $((112 * PERIOD)) | ?0x$pc@$T/rebuilt/librb.so | comm:[rb] pid:[3999997] tid:[3999997]" "$T/rebuilt.stacks" || return 1
	# one warning for the file, though two generations map it
	[ "$(cat "$T/err")" = "kprof2pprof: warning: $T/rebuilt/librb.so: build id $old in the records, $new on disk; not symbolized" ] ||
		die "stderr: $(cat "$T/err")"
	# the Mapping keeps the records' build id, for pprof to find the right file
	mappings "$T/rebuilt.pb.gz" | grep -qF " $T/rebuilt/librb.so $old " ||
		die "mapping: $(mappings "$T/rebuilt.pb.gz")"
}
ktap_result "v2 records, file rebuilt in place: no name, one warning per file, exit 0, the records' build id kept" test_v2_rebuilt

test_v2_debug_dir() {
	local bid
	bid=$(build_id "$B/libkpt.so")
	mkdir -p "$T/debug2/.build-id/${bid:0:2}"
	objcopy --only-keep-debug "$B/libkpt.so" "$T/debug2/.build-id/${bid:0:2}/${bid:2}.debug" || return 1
	{
		echo "$HDR2"
		echo "G 11 3999996 1 0"
		m_line 11 "$B/libkpt.so" $V2_LIB_BIAS "$bid" "$T/absent/libkpt.so"
		echo "S 121 3999996 3999996 dbg - k= u=$V2_ALPHA,$V2_HIDDEN m=11"
	} > "$T/v2dbg.txt"
	"$K2P" --proc-root "$T/proc" --kallsyms "$T/kallsyms" --sys-root "$T/sys" \
		--debug-dir "$T/debug2" -o "$T/v2dbg.pb.gz" "$T/v2dbg.txt" 2>"$T/err" ||
		die "exit $?: $(cat "$T/err")"
	stacks "$T/v2dbg.pb.gz" | grep -qxF "121 $((121 * PERIOD)) | kpt_lib_alpha;kpt_lib_hidden | comm:[dbg] pid:[3999996] tid:[3999996]" ||
		die "debug file not used: $(stacks "$T/v2dbg.pb.gz")"
	# without it: addresses, in a Mapping with the file's name, build id
	# and offset, for a symbolizer that has the file
	k2p -o "$T/v2nodbg.pb.gz" "$T/v2dbg.txt" || die "exit $?: $(cat "$T/err")"
	stacks "$T/v2nodbg.pb.gz" | grep -qxF "121 $((121 * PERIOD)) | ?0x$V2_ALPHA@$T/absent/libkpt.so;?0x$V2_HIDDEN@$T/absent/libkpt.so | comm:[dbg] pid:[3999996] tid:[3999996]" ||
		die "without the debug file: $(stacks "$T/v2nodbg.pb.gz")"
	set -- $(m_line 11 "$B/libkpt.so" $V2_LIB_BIAS)
	mappings "$T/v2nodbg.pb.gz" | grep -qxF "0x$3/0x$4/$(printf '%#x' 0x$5) $T/absent/libkpt.so $bid " ||
		die "mapping: $(mappings "$T/v2nodbg.pb.gz")"
}
ktap_result "v2 records, file absent: debug file by build id; without one, the Mapping keeps file, offset, build id" test_v2_debug_dir

test_v2_live_no_build_id() {
	# pid 4001 lives, started at tick 123456; its root is /
	mkdir -p "$T/proc/4001"
	ln -sfn / "$T/proc/4001/root"
	echo "4001 (a) b) S 1 4001 4001 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 123456 1000 100 18446744073709551615" > "$T/proc/4001/stat"
	{
		echo "$HDR2"
		# the module's boot_ns, truncated to ticks by /proc
		echo "G 12 4001 $((123456 * TICK_NS + TICK_NS - 1)) 0"
		m_line 12 "$B/libkpt.so" $V2_LIB_BIAS -
		# an earlier process with the same pid
		echo "G 13 4001 $((123455 * TICK_NS)) 0"
		m_line 13 "$B/libkpt.so" $V2_LIB_BIAS -
		echo "S 131 4001 4001 live - k= u=$V2_ALPHA m=12"
		echo "S 132 4001 4001 old - k= u=$V2_ALPHA m=13"
	} > "$T/v2live.txt"
	k2p -o "$T/v2live.pb.gz" "$T/v2live.txt" || die "exit $?: $(cat "$T/err")"
	stacks "$T/v2live.pb.gz" > "$T/v2live.stacks"
	expect_line "131 $((131 * PERIOD)) | kpt_lib_alpha | comm:[live] pid:[4001] tid:[4001]" "$T/v2live.stacks" &&
	expect_line "132 $((132 * PERIOD)) | ?0x$V2_ALPHA@$B/libkpt.so | comm:[old] pid:[4001] tid:[4001]" "$T/v2live.stacks"
}
ktap_result "v2 records without a build id: the file by path only while the process (pid and start time) lives" test_v2_live_no_build_id

# --- version 4: cgroup labels ------------------------------------------------

test_v4_cgroup_labels() {
	local k=ffffffff81001410
	{
		echo "$HDR4"
		echo 'C 5 /a'
		echo 'C 7 /a/b\x20c'
		echo "S 141 1000 1000 x - k=$k u= m=0 c=5"
		echo 'C 9 /other'
		echo 'C 11 -'
		echo "S 142 1000 1001 y - k=$k u= m=0 c=7"
		echo "S 146 1000 1005 u - k=$k u= m=0 c=11"
		echo "S 143 1000 1002 z - k=$k u= m=0 c=0"
		echo "S 144 1000 1003 w - k=$k u= m=0 c=12345"
		echo "S 145 1000 1004 v - k=$k u= m=0 c=5"
	} > "$T/v4.txt"
	k2p -o "$T/v4.pb.gz" "$T/v4.txt" || die "exit $?: $(cat "$T/err")"
	stacks "$T/v4.pb.gz" > "$T/v4.stacks"
	expect_line "141 $((141 * PERIOD)) | vfs_read | cgroup:[/a] comm:[x] pid:[1000] tid:[1000]" "$T/v4.stacks" &&
	expect_line "142 $((142 * PERIOD)) | vfs_read | cgroup:[/a/b c] comm:[y] pid:[1000] tid:[1001]" "$T/v4.stacks" &&
	# c=0: no label; an id without a C line: labelled by its number
	expect_line "143 $((143 * PERIOD)) | vfs_read | comm:[z] pid:[1000] tid:[1002]" "$T/v4.stacks" &&
	expect_line "144 $((144 * PERIOD)) | vfs_read | cgroup:[cgroup-id:12345] comm:[w] pid:[1000] tid:[1003]" "$T/v4.stacks" &&
	expect_line "145 $((145 * PERIOD)) | vfs_read | cgroup:[/a] comm:[v] pid:[1000] tid:[1004]" "$T/v4.stacks" &&
	# a cgroup removed before the module named it ("-"): by its id too
	expect_line "146 $((146 * PERIOD)) | vfs_read | cgroup:[cgroup-id:11] comm:[u] pid:[1000] tid:[1005]" "$T/v4.stacks" || return 1
	# what -tagfocus keeps: exactly one cgroup, or a subtree
	go tool pprof -tagfocus 'cgroup=^/a$' -raw -symbolize=none "$T/v4.pb.gz" 2>"$T/pprof.err" |
		awk '/^ +[0-9]+ +[0-9]+: / { print $1 }' | sort -n | tr '\n' ' ' > "$T/v4.focus"
	[ "$(cat "$T/v4.focus")" = "141 145 " ] || die "-tagfocus cgroup=^/a\$: samples $(cat "$T/v4.focus") $(cat "$T/pprof.err")"
	go tool pprof -tagfocus 'cgroup=^/a(/|$)' -raw -symbolize=none "$T/v4.pb.gz" 2>"$T/pprof.err" |
		awk '/^ +[0-9]+ +[0-9]+: / { print $1 }' | sort -n | tr '\n' ' ' > "$T/v4.focus"
	[ "$(cat "$T/v4.focus")" = "141 142 145 " ] || die "-tagfocus subtree /a: samples $(cat "$T/v4.focus") $(cat "$T/pprof.err")"
	# folded stacks have no labels: the same lines as without C records
	k2p --folded -o "$T/v4.folded" "$T/v4.txt" || die "--folded: $(cat "$T/err")"
	expect_line "x;vfs_read 141" "$T/v4.folded"
}
ktap_result "v4 records: a cgroup label from the C lines (by id without one, none for c=0); -tagfocus splits by cgroup" test_v4_cgroup_labels

# --- malformed inputs: "FILE:LINE: message", exit 1, no output -----------

test_malformed() {
	local spec=$1 name line msg input out
	IFS='|' read -r name line msg input <<< "$spec"
	printf '%b' "$input" > "$T/bad.txt"
	echo old > "$T/bad.pb.gz"
	k2p -o "$T/bad.pb.gz" "$T/bad.txt"
	local rc=$?
	[ $rc = 1 ] || die "exit status $rc, expected 1; stderr: $(cat "$T/err")"
	[ "$(wc -l < "$T/err")" = 1 ] || die "expected one line on stderr: $(cat "$T/err")"
	# "FILE:LINE: " first, then a message that says what was wrong
	case $(cat "$T/err") in
	"$T/bad.txt:$line: "*"$msg"*) ;;
	*) die "expected \"$T/bad.txt:$line: ...$msg...\", got: $(cat "$T/err")" ;;
	esac
	[ "$(cat "$T/bad.pb.gz")" = old ] || die "the old output file was changed"
	[ -z "$(ls -A "$T" | grep '^\.bad')" ] || die "temporary file left: $(ls -A "$T")"
}
for spec in "${MALFORMED[@]}"; do
	ktap_result "malformed input refused: ${spec%%|*}" test_malformed "$spec"
done

test_long_line() {
	{ echo "$HDR"; printf 'S 1 10 10 a - k=1 u=%s\n' "$(head -c 20000 /dev/zero | tr '\0' 1)"; } > "$T/long.txt"
	k2p -o "$T/long.pb.gz" "$T/long.txt"; [ $? = 1 ] || die "accepted"
	grep -qF "$T/long.txt:2: line longer than 16384 bytes" "$T/err" || die "$(cat "$T/err")"
}
ktap_result "malformed input refused: line longer than the limit" test_long_line

# --- command line ----------------------------------------------------------

test_usage() {
	local args rc
	for args in "--bogus" "-o" "a b" "--duration" "--duration 0" "--duration -1" \
		"--duration abc" "--drain x" "--duration 1 x" "-o ''"; do
		eval "\"\$K2P\" $args" >/dev/null 2>"$T/err" </dev/null
		rc=$?
		[ $rc = 2 ] || die "kprof2pprof $args: exit $rc, expected 2"
		grep -q "Try 'kprof2pprof --help'" "$T/err" || die "kprof2pprof $args: $(cat "$T/err")"
	done
	"$K2P" --help > "$T/help" || die "--help exit $?"
	for args in --output --drain --duration --folded --proc-root --kallsyms --version; do
		grep -q -- "$args" "$T/help" || die "--help does not mention $args"
	done
	"$K2P" --version | grep -q "^kprof2pprof [0-9.]* (kprofmap record formats 1 to 4)$" || die "--version"
	"$K2P" "$T/does-not-exist" 2>"$T/err"; rc=$?
	[ $rc = 1 ] && grep -q "does-not-exist: No such file" "$T/err" || die "missing input: exit $rc"
}
ktap_result "usage errors exit 2; --help, --version; missing input exits 1" test_usage

test_command_usage() {
	local args rc
	for args in "record" "record -o x" "record --freq 0 -- true" \
		"record --freq 10001 true" "record --freq x true" \
		"record --pid 1 true" "record --bogus true" \
		"follow" "follow --interval 10s" "follow --out-dir $T/x" \
		"follow --interval 50ms --out-dir $T/x" \
		"follow --interval 10x --out-dir $T/x" \
		"follow --interval 1s --out-dir $T/x --keep 0" \
		"follow --interval 1s --out-dir $T/x --keep x" \
		"follow --interval 1s --out-dir $T/x -o y" \
		"follow --interval 1s --out-dir $T/x extra" \
		"follow --interval 1s --out-dir $T/x --pid 1 --cgroup /a" \
		"--pid 0" "--pid 1,,2" "--pid x" "--pid 1," "--pid 4194305" \
		"--pid 1 $T/main.txt" "--cgroup rel/ative" "--cgroup ''" \
		"--pid 1 --cgroup /a" "--freq 99" "--freq 99 --duration 1" \
		"--pid $(seq -s, 1 65)"; do
		eval "\"\$K2P\" $args" >/dev/null 2>"$T/err" </dev/null
		rc=$?
		[ $rc = 2 ] || die "kprof2pprof $args: exit $rc, expected 2: $(cat "$T/err")"
		grep -q "Try 'kprof2pprof --help'" "$T/err" || die "kprof2pprof $args: $(cat "$T/err")"
	done
	[ ! -e "$T/x" ] || die "follow made its --out-dir on a usage error"
	"$K2P" --help > "$T/help" || die "--help exit $?"
	for args in "record " "follow " --pid --cgroup --freq --interval --out-dir \
		--keep --exec KPROFMAP_START "ingest?name="; do
		grep -q -- "$args" "$T/help" || die "--help does not mention $args"
	done
	"$K2P" record --help | cmp -s - "$T/help" || die "record --help differs"
	"$K2P" follow --version | grep -q "record formats 1 to 4" || die "follow --version"
}
ktap_result "record, follow, --pid, --cgroup: usage errors exit 2; --help shows them all" test_command_usage

# --- the session forms, against a stand-in module ----------------------------

# $FP is a /proc for the session forms: kprofmap/session is a plain file
# that collects what is written to it (one command per write, no
# newline), kprofmap/drain a file of records. k2ps CMD ARGS: kprof2pprof
# with it (CMD "" for the plain form), stderr to $T/err; k2ps_bg the same
# in the background, $! its pid.
FP=$T/fproc
FPARGS=(--proc-root "$FP" --kallsyms "$T/kallsyms" --sys-root "$T/sys"
	--debug-dir "$T/nodebug")
mkdir -p "$FP/kprofmap" "$FP/self"
k2ps() {
	local cmd=$1
	shift
	"$K2P" ${cmd:+"$cmd"} "${FPARGS[@]}" "$@" 2>"$T/err"
}
k2ps_bg() {
	local cmd=$1
	shift
	( exec "$K2P" "$cmd" "${FPARGS[@]}" "$@" 2>"$T/err" ) &
}
# window_records START END COUNT: the drained records of one window
window_records() {
	printf 'kprofmap-samples 4 freq=999 cpus=2 start_ns=%s end_ns=%s max_depth=64\nC 5 /w\nS %s 1000 1000 w - k=ffffffff81001410 u= m=0 c=5\n' \
		"$1" "$2" "$3"
}
# a cgroup2 mount at $T/cg2 (only ever read: nothing is run in it)
echo "35 25 0:30 / $T/cg2 rw,nosuid shared:9 - cgroup2 cgroup2 rw" > "$FP/self/mountinfo"
mkdir -p "$T/cg2"

test_session_needed() {
	local form rc
	rm -f "$FP/kprofmap/session" "$T/ran"
	for form in "record -- touch $T/ran" "'' --pid 1 --duration 0.1" \
		"follow --interval 1s --out-dir $T/fo"; do
		eval "k2ps $form" </dev/null; rc=$?
		[ $rc = 1 ] || die "$form: exit $rc, expected 1: $(cat "$T/err")"
		grep -q "kprofmap/session: No such file or directory (is the kprofmap module loaded" "$T/err" ||
			die "$form: $(cat "$T/err")"
	done
	[ ! -e "$T/ran" ] || die "record ran its command without the module"
	[ -z "$(ls "$T/cg2")" ] || die "record left $(ls "$T/cg2")"
	# no cgroup2 mounted: record says so, and runs nothing
	: > "$FP/kprofmap/session"
	mv "$FP/self/mountinfo" "$T/mi.cg2"
	grep -v cgroup2 /proc/self/mountinfo > "$FP/self/mountinfo"
	k2ps record -- touch "$T/ran"; rc=$?
	mv "$T/mi.cg2" "$FP/self/mountinfo"
	[ $rc = 1 ] || die "record without cgroup2: exit $rc"
	grep -q "no cgroup2 file system is mounted" "$T/err" || die "$(cat "$T/err")"
	[ ! -e "$T/ran" ] || die "record ran its command without a cgroup2 mount"
}
ktap_result "record, follow, --pid: no module (no session file) or no cgroup2: exit 1 before anything runs" test_session_needed

test_session_once() {
	: > "$FP/kprofmap/session"
	cp "$T/v4.txt" "$FP/kprofmap/drain"
	k2ps "" --pid 1000,4001 --freq 99 --duration 0.2 -o "$T/once.pb.gz" ||
		die "exit $?: $(cat "$T/err")"
	[ "$(cat "$FP/kprofmap/session")" = "freq 99filter pid=1000,4001reset" ] ||
		die "session got: $(cat "$FP/kprofmap/session")"
	cmp -s <(stacks "$T/once.pb.gz") "$T/v4.stacks" || die "not the drained records: $(stacks "$T/once.pb.gz")"
	# --cgroup as a cgroup path, or as its directory below the mount
	: > "$FP/kprofmap/session"
	k2ps "" --cgroup /a/b --duration 0.1 -o "$T/once.pb.gz" || die "exit $?: $(cat "$T/err")"
	[ "$(cat "$FP/kprofmap/session")" = "filter cgroup=/a/breset" ] ||
		die "session got: $(cat "$FP/kprofmap/session")"
	: > "$FP/kprofmap/session"
	k2ps "" --cgroup "$T/cg2/a/b/" --duration 0.1 -o "$T/once.pb.gz" || die "exit $?: $(cat "$T/err")"
	[ "$(cat "$FP/kprofmap/session")" = "filter cgroup=/a/breset" ] ||
		die "session got: $(cat "$FP/kprofmap/session")"
	# records that do not convert are kept
	printf '%s\nS 1 x\n' "$HDR4" > "$FP/kprofmap/drain"
	k2ps "" --pid 1 --duration 0.1 -o "$T/bad1.pb.gz"; [ $? = 1 ] || die "bad records accepted"
	cmp -s "$FP/kprofmap/drain" "$T/bad1.pb.gz.samples" || die "records not saved: $(cat "$T/err")"
}
ktap_result "--pid, --cgroup: freq, filter and reset through the session, wait, drain; records kept when they do not convert" test_session_once

# The stand-in drain of follow is a FIFO that a feeder fills with one
# window per open: window N has N samples, lasts 250 ms + N ns and starts
# where window N - 1 ended. The feeder serves window N + 1 once follow is
# done with window N, which it knows from the --exec command's log: so
# each window is drained once, as the module's are. The --exec of window
# 2 fails.
cat > "$T/exec.sh" <<EOF
echo "\$1 \$KPROFMAP_START \$KPROFMAP_END" >> $T/follow.log
[ "\$(wc -l < $T/follow.log)" != 2 ] || exit 3
EOF
W0=1764843300123000000

# wait_lines FILE N: wait (at most 30 s) until FILE has N lines
wait_lines() {
	local i
	for i in $(seq 1 300); do
		[ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# feed: serve windows 1, 2, ... through the FIFO drain until killed
feed() {
	local i=1 start=$W0 end
	while :; do
		end=$((start + 250000000 + i))
		window_records $start $end $i > "$FP/kprofmap/drain"
		wait_lines "$T/follow.log" $i || return
		start=$end
		i=$((i + 1))
	done
}

# fds PID: how many files PID has open when it is between windows: the
# fewest of 10 looks, 30 ms apart (draining and converting open two)
fds() {
	local i n min=
	for i in 1 2 3 4 5 6 7 8 9 10; do
		n=$(ls /proc/$1/fd | wc -l)
		[ -n "$min" ] && [ $min -le $n ] || min=$n
		sleep 0.03
	done
	echo $min
}

# window_name START: follow's file name of the window that starts then
window_name() {
	printf 'kprofmap-%s.%03dZ.pb.gz' "$(TZ=UTC date -d "@$(($1 / 1000000000))" +%Y%m%dT%H%M%S)" \
		$(( $1 % 1000000000 / 1000000 ))
}

# follow_start DIR ARGS: the FIFO and its feeder ($FEEDER), then follow
# writing to DIR ($FOLLOW)
follow_start() {
	local dir=$1
	shift
	: > "$FP/kprofmap/session"
	: > "$T/follow.log"
	rm -f "$FP/kprofmap/drain"
	mkfifo "$FP/kprofmap/drain"
	feed &
	FEEDER=$!
	k2ps_bg follow --out-dir "$dir" --exec "sh $T/exec.sh" "$@"
	FOLLOW=$!
}

# follow_stop SIG: stop follow with SIG; its exit status, then the feeder
# stopped (it waits on the window after the last)
follow_stop() {
	local rc
	kill -$1 $FOLLOW
	wait $FOLLOW
	rc=$?
	kill $FEEDER 2>/dev/null
	wait $FEEDER 2>/dev/null
	rm -f "$FP/kprofmap/drain"
	return $rc
}

test_follow() {
	local rc fd1 fd2 i n start end sum=0 got name line
	follow_start "$T/fo" --interval 300ms
	wait_lines "$T/follow.log" 2 || { follow_stop KILL; die "no second window: $(cat "$T/err")"; }
	fd1=$(fds $FOLLOW)
	wait_lines "$T/follow.log" 5 || { follow_stop KILL; die "no fifth window: $(cat "$T/err")"; }
	fd2=$(fds $FOLLOW)
	follow_stop INT; rc=$?
	[ $rc = 0 ] || die "exit $rc after SIGINT: $(cat "$T/err")"
	[ "$(cat "$FP/kprofmap/session")" = reset ] || die "session got: $(cat "$FP/kprofmap/session")"
	[ "$fd1" = "$fd2" ] || die "open files grew from $fd1 to $fd2"
	# five windows or more, then the last, which SIGINT ended; each one
	# file, given to --exec
	n=$(wc -l < "$T/follow.log")
	[ $n -ge 6 ] || die "--exec ran for: $(cat "$T/follow.log")"
	[ "$(ls "$T/fo" | wc -l)" = $n ] || die "$n windows, files: $(ls -a "$T/fo")"
	start=$W0
	for i in $(seq 1 $n); do
		end=$((start + 250000000 + i))
		name=$(window_name $start)
		[ -f "$T/fo/$name" ] || die "window $i: no $name in $(ls "$T/fo")"
		line=$(sed -n ${i}p "$T/follow.log")
		[ "$line" = "$T/fo/$name $((start / 1000000000)) $(((end + 999999999) / 1000000000))" ] ||
			die "window $i: --exec got \"$line\""
		stacks "$T/fo/$name" > "$T/fo.stacks"
		got=$(awk '{ n += $1 } END { print n }' "$T/fo.stacks")
		[ "$got" = $i ] || die "window $i: $got samples: $(cat "$T/fo.stacks")"
		sum=$((sum + got))
		TZ=UTC raw "$T/fo/$name" | grep -qx "Time: $(TZ=UTC date -d "@$((start / 1000000000))" '+%Y-%m-%d %H:%M:%S').$(printf %09d $((start % 1000000000)) | sed 's/0*$//') +0000 UTC" ||
			die "window $i: $(TZ=UTC raw "$T/fo/$name" | grep ^Time)"
		start=$end
	done
	[ $sum = $((n * (n + 1) / 2)) ] || die "$sum samples in the files, $((n * (n + 1) / 2)) drained"
	grep -qxF "kprof2pprof: --exec for $(window_name $((W0 + 250000001))): exit status 3" "$T/err" ||
		die "failed --exec not reported: $(cat "$T/err")"
	[ "$(wc -l < "$T/err")" = 1 ] || die "stderr: $(cat "$T/err")"
	# a signal long before the first interval ends: that window is written
	follow_start "$T/fo1" --interval 1h
	for i in $(seq 1 100); do
		[ "$(cat "$FP/kprofmap/session")" = reset ] && break
		sleep 0.1
	done
	follow_stop INT; rc=$?
	[ $rc = 0 ] || die "--interval 1h, SIGINT: exit $rc: $(cat "$T/err")"
	[ "$(ls "$T/fo1")" = "$(window_name $W0)" ] || die "--interval 1h, SIGINT: files $(ls "$T/fo1")"
}
ktap_result "follow: one file per window, named by its start; time_nanos its start; --exec with each file, its failure reported; SIGINT writes the last; no fd or memory leaked" test_follow

test_follow_keep() {
	local rc names
	mkdir -p "$T/fk"
	touch "$T/fk/notes.txt" "$T/fk/kprofmap-x.pb.gz" "$T/fk/kprofmap-20000101T000000.000Z.pb.gz.samples"
	follow_start "$T/fk" --interval 200ms --keep 2 --pid 1000 --freq 250
	wait_lines "$T/follow.log" 4 || { follow_stop KILL; die "no fourth window: $(cat "$T/err")"; }
	follow_stop TERM; rc=$?
	[ $rc = 0 ] || die "exit $rc after SIGTERM: $(cat "$T/err")"
	[ "$(cat "$FP/kprofmap/session")" = "freq 250filter pid=1000reset" ] ||
		die "session got: $(cat "$FP/kprofmap/session")"
	names=$(cd "$T/fk" && ls kprofmap-2*.pb.gz)
	[ "$(echo "$names" | wc -l)" = 2 ] || die "window files left: $names"
	[ "$names" = "$(cut -d' ' -f1 "$T/follow.log" | tail -n 2 | xargs -n1 basename)" ] ||
		die "not the newest two: $names; written: $(cat "$T/follow.log")"
	[ -f "$T/fk/notes.txt" ] && [ -f "$T/fk/kprofmap-x.pb.gz" ] &&
		[ -f "$T/fk/kprofmap-20000101T000000.000Z.pb.gz.samples" ] || die "--keep deleted another file: $(ls "$T/fk")"
}
ktap_result "follow --keep 2: the newest two window files stay, nothing else is deleted; SIGTERM writes the last; --pid, --freq through the session" test_follow_keep

# --- record, in this machine's cgroup2 ---------------------------------------

# record runs its command in a cgroup v2 of its own. As root, a test
# cgroup $CGT under this machine's first cgroup2 mount stands in for the
# cgroup2 root ($FP/self/mountinfo says it is mounted there), so that
# record's cleanup never looks beyond it; the module is still the stand-in.
set -- $(awk '{ for (i = 7; i < NF && $i != "-"; i++) ;
	if ($(i + 1) == "cgroup2") { print $4, $5; exit } }' /proc/self/mountinfo)
CG2_ROOT=${1:-} CG2=${2:-}
set --
CGT=$CG2/kpm-k2p-test.$$
CGT_PATH=${CG2_ROOT%/}/kpm-k2p-test.$$
RECORD_SKIP=
if [ "$(id -u)" != 0 ]; then
	RECORD_SKIP="not root: record needs to make cgroups"
elif [ -z "$CG2" ]; then
	RECORD_SKIP="no cgroup2 mounted"
elif ! mkdir "$CGT" 2>/dev/null; then
	RECORD_SKIP="cannot make a cgroup under $CG2"
else
	echo "36 25 0:30 $CGT_PATH $CGT rw - cgroup2 cgroup2 rw" > "$FP/self/mountinfo"
fi

# The cgroups below $CGT (its files are the cgroup's interface).
cgt_dirs() { find "$CGT" -mindepth 1 -type d; }

# Kill whatever a failed test left in $CGT, and remove it.
cgt_cleanup() {
	local d
	for d in $(find "$CGT" -depth -type d 2>/dev/null); do
		echo 1 > "$d/cgroup.kill" 2>/dev/null
	done
	sleep 0.2
	find "$CGT" -depth -type d -exec rmdir {} \; 2>/dev/null
}

test_record_status() {
	local rc dir
	: > "$FP/kprofmap/session"
	cp "$T/v4.txt" "$FP/kprofmap/drain"
	k2ps record -o "$T/rec.pb.gz" -- sh -c "cat /proc/self/cgroup > $T/rec.cg; exit 7"; rc=$?
	[ $rc = 7 ] || die "exit $rc, expected CMD's 7: $(cat "$T/err")"
	dir=$(sed -n 's/^0:://p' "$T/rec.cg")
	case $dir in
	"$CGT_PATH/kprofmap-record."[1-9]*) ;;
	*) die "CMD ran in cgroup \"$dir\", not in $CGT_PATH/kprofmap-record.PID" ;;
	esac
	[ "$(cat "$FP/kprofmap/session")" = "filter cgroup=${dir}reset" ] ||
		die "session got: $(cat "$FP/kprofmap/session")"
	cmp -s <(stacks "$T/rec.pb.gz") "$T/v4.stacks" || die "not the drained records: $(stacks "$T/rec.pb.gz")"
	[ -z "$(cgt_dirs)" ] || die "cgroup left: $(cgt_dirs)"
	: > "$FP/kprofmap/session"
	k2ps record --freq 250 -o "$T/rec.pb.gz" -- true || die "exit $?: $(cat "$T/err")"
	grep -q "^freq 250filter cgroup=$CGT_PATH/kprofmap-record\.[0-9]*reset$" "$FP/kprofmap/session" ||
		die "session got: $(cat "$FP/kprofmap/session")"
	# a signal, a command that is not there, one that is no program
	k2ps record -o "$T/rec.pb.gz" -- sh -c 'kill -TERM $$'; rc=$?
	[ $rc = 143 ] || die "killed by SIGTERM: exit $rc, expected 143"
	rm "$T/rec.pb.gz"
	k2ps record -o "$T/rec.pb.gz" -- kp-no-such-command; rc=$?
	[ $rc = 127 ] || die "no such command: exit $rc, expected 127"
	grep -qx "kprof2pprof: kp-no-such-command: No such file or directory" "$T/err" || die "$(cat "$T/err")"
	[ -f "$T/rec.pb.gz" ] || die "no profile"
	k2ps record -o "$T/rec.pb.gz" -- "$T/main.txt"; rc=$?
	[ $rc = 126 ] || die "not executable: exit $rc, expected 126"
	[ -z "$(cgt_dirs)" ] || die "cgroup left: $(cgt_dirs)"
}

test_record_sigint() {
	local pid rc i t0=$SECONDS
	k2ps_bg record -o "$T/int.pb.gz" -- sleep 60
	pid=$!
	# (cgroupfs files have no size: read them)
	for i in $(seq 1 100); do
		[ -n "$(cat "$CGT/kprofmap-record.$pid/cgroup.procs" 2>/dev/null)" ] && break
		sleep 0.1
	done
	[ -n "$(cat "$CGT/kprofmap-record.$pid/cgroup.procs" 2>/dev/null)" ] ||
		{ kill $pid; die "CMD not in $CGT/kprofmap-record.$pid"; }
	kill -INT $pid
	wait $pid; rc=$?
	[ $rc = 130 ] || die "exit $rc after SIGINT, expected 130: $(cat "$T/err")"
	[ $((SECONDS - t0)) -lt 30 ] || die "SIGINT did not stop CMD"
	[ -f "$T/int.pb.gz" ] || die "no profile: $(cat "$T/err")"
	[ ! -e "$CGT/kprofmap-record.$pid" ] || die "cgroup left"
}

# gone PID: the process is gone or a zombie (killed, not reaped yet)
gone() { [ ! -e /proc/$1 ] || grep -q '^State:.*Z' /proc/$1/status; }

test_record_leftovers() {
	local p lp rc
	# what CMD leaves running is killed
	k2ps record -o "$T/bg.pb.gz" -- sh -c "sleep 300 & echo \$! > $T/bg.pid" ||
		die "exit $?: $(cat "$T/err")"
	p=$(cat "$T/bg.pid")
	for rc in 1 2 3 4 5 6 7 8 9 10; do gone $p && break; sleep 0.1; done
	gone $p || die "the command's background process $p still runs"
	# a killed recorder's cgroup, with a process in it, and a live one's
	mkdir "$CGT/kprofmap-record.999999" "$CGT/kprofmap-record.999998" || return 1
	mkdir -p "$FP/999998"
	echo kprof2pprof > "$FP/999998/comm"
	sleep 300 &
	lp=$!
	echo $lp > "$CGT/kprofmap-record.999999/cgroup.procs" || { kill $lp; return 1; }
	k2ps record -o "$T/bg.pb.gz" -- true || die "exit $?: $(cat "$T/err")"
	grep -qx "kprof2pprof: removed $CGT/kprofmap-record.999999, left by a recorder that was killed" "$T/err" ||
		die "$(cat "$T/err")"
	wait $lp; rc=$?
	[ $rc = 137 ] || die "the leftover's process: exit $rc, expected 137 (SIGKILL)"
	[ ! -e "$CGT/kprofmap-record.999999" ] || die "the killed recorder's cgroup is still there"
	[ -d "$CGT/kprofmap-record.999998" ] || die "a live recorder's cgroup was removed"
	rmdir "$CGT/kprofmap-record.999998"
}

if [ -z "$RECORD_SKIP" ]; then
	ktap_result "record: CMD's exit status, 128+N, 127, 126; CMD in its own cgroup, the session filtering on it; the cgroup removed" test_record_status
	ktap_result "record: SIGINT passed on to CMD, exit 130, the profile written" test_record_sigint
	ktap_result "record: what CMD left running is killed; a killed recorder's cgroup is removed, a live one's kept" test_record_leftovers
	cgt_cleanup
	rmdir "$CGT" 2>/dev/null
else
	ktap_skip "record: exit status, own cgroup, session filter" "$RECORD_SKIP"
	ktap_skip "record: SIGINT passed on" "$RECORD_SKIP"
	ktap_skip "record: leftovers killed and removed" "$RECORD_SKIP"
fi

test_duration_drain() {
	mkdir -p "$T/proc/kprofmap"
	: > "$T/proc/kprofmap/control"
	cp "$T/main.txt" "$T/proc/kprofmap/samples"
	local start=$(date +%s%N)
	k2p --duration 0.3 -o "$T/dur.pb.gz" || die "exit $?: $(cat "$T/err")"
	local ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$(cat "$T/proc/kprofmap/control")" = reset ] || die "control got: $(cat "$T/proc/kprofmap/control")"
	[ $ms -ge 300 ] || die "returned after $ms ms"
	[ ! -s "$T/err" ] || die "progress printed without a terminal: $(cat "$T/err")"
	cmp -s <(stacks "$T/dur.pb.gz") "$T/main.stacks" || die "different profile"
	# --drain reads the drain file
	cp "$T/main.txt" "$T/proc/kprofmap/drain"
	k2p --drain -o "$T/drain.pb.gz" || die "exit $?: $(cat "$T/err")"
	cmp -s <(stacks "$T/drain.pb.gz") "$T/main.stacks" || die "different drain profile"
	# a failed conversion of drained records saves them
	printf '%s\nS 1 x\n' "$HDR" > "$T/proc/kprofmap/drain"
	(cd "$T" && k2p --drain -o "$T/drain2.pb.gz"); [ $? = 1 ] || die "bad drain accepted"
	cmp -s "$T/proc/kprofmap/drain" "$T/drain2.pb.gz.samples" ||
		die "drained records not saved: $(cat "$T/err")"
	[ ! -e "$T/drain2.pb.gz" ] || die "output written"
}
ktap_result "--duration writes reset, waits, reads; --drain reads drain and saves records on failure" test_duration_drain

test_duration_tty() {
	command -v script >/dev/null || { echo "no script(1)"; return 0; }
	cp "$T/main.txt" "$T/proc/kprofmap/samples"
	script -qec "'$K2P' --proc-root '$T/proc' --kallsyms '$T/kallsyms' --duration 1.2 -o '$T/tty.pb.gz'" /dev/null > "$T/tty.out" ||
		die "exit $?: $(cat "$T/tty.out")"
	grep -q "profiling: 1 of 2 s" "$T/tty.out" || die "no progress line: $(cat -v "$T/tty.out")"
}
ktap_result "--duration shows a progress line on a terminal" test_duration_tty

test_sigint_cleanup() {
	# SIGTERM in the middle of a conversion (input from a FIFO that is
	# kept open) leaves neither the output nor its temporary file.
	{ echo "$HDR"; awk -v u="$R_MAIN" 'BEGIN { for (i = 1; i <= 20000; i++)
		printf "S 1 1000 1000 x - k=ffffffff81%06x u=%s\n", i * 16, u }'; } > "$T/big.txt"
	mkfifo "$T/fifo"
	( exec "$K2P" --proc-root "$T/proc" --kallsyms "$T/kallsyms" \
		-o "$T/sig.pb.gz" "$T/fifo" 2>/dev/null ) &
	local pid=$! i rc
	exec 7>"$T/fifo"
	cat "$T/big.txt" >&7
	for i in $(seq 1 100); do
		ls -A "$T" | grep -q '^\.sig\.pb\.gz\.' && break
		sleep 0.1
	done
	ls -A "$T" | grep -q '^\.sig\.pb\.gz\.' || { exec 7>&-; die "no temporary file while converting"; }
	kill -TERM $pid; wait $pid; rc=$?
	exec 7>&-
	[ $rc = 143 ] || die "exit status $rc, expected 143 (SIGTERM)"
	[ -z "$(ls -A "$T" | grep '^\.sig')" ] || die "temporary file left: $(ls -A "$T")"
	[ ! -e "$T/sig.pb.gz" ] || die "output written"
	k2p -o "$T/big.pb.gz" "$T/big.txt" || die "big input: $(cat "$T/err")"
	[ "$(stacks "$T/big.pb.gz" | wc -l)" = 20000 ] || die "samples missing"
}
ktap_result "SIGTERM during a conversion leaves no file behind; 20000 records convert" test_sigint_cleanup

# --- unit tests (ASan+UBSan) -------------------------------------------------

# Its results named "unit: FIXTURE.TEST", anything else it printed (such
# as a sanitizer's report) as "# " lines.
sed -E '/^((not )?ok|#|1\.\.|TAP version)/!s/^/# /
	s/^((not )?ok [0-9]+ )/\1unit: /' "$T/unit.tap" > "$T/unit.relay"
ktap_relay "$T/unit.relay"
# A failure its results do not show (an exit status of its own) fails the
# run below, after the remaining tests.
UNIT_BROKEN=
if [ $UNIT_RC != 0 ] && ! grep -q '^not ok' "$T/unit.tap"; then
	UNIT_BROKEN="unit_test exited with status $UNIT_RC, no test failed"
fi

# --- fuzzing the parser --------------------------------------------------

if [ -x "$SANDIR/fuzz_parse" ]; then
	fuzz() {
		mkdir -p "$T/corpus"
		"$SANDIR/fuzz_parse" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
			-rss_limit_mb=2048 -dict="$HERE/fuzz/kprofmap.dict" \
			-artifact_prefix="$T/" "$T/corpus" "$HERE/fuzz/corpus" > "$T/fuzz.log" 2>&1 ||
			die "$(tail -30 "$T/fuzz.log")"
		grep -E "^(#[0-9]+ *DONE|Done [0-9]+ runs)" "$T/fuzz.log" | tail -1
	}
	ktap_result "fuzz: parser under libFuzzer+ASan+UBSan for ${FUZZ_SECONDS}s from the committed corpus" fuzz
else
	ktap_skip "fuzz: parser under libFuzzer" "clang with libFuzzer not installed (apt-get install clang libclang-rt-14-dev)"
fi

[ -z "$UNIT_BROKEN" ] || ktap_bail "$UNIT_BROKEN"
ktap_finished
