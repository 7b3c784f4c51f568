#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 65-distro.sh - user stacks of Debian's own programs, as shipped (stripped,
# dynamic, no frame pointers; copied by selftests/distro/Makefile): xz,
# sqlite3 and python3, each CPU-bound and single-threaded.
#
# For each, >= 95% of the main thread's kprofmap samples (tgid == tid ==
# the program's pid, at 999 Hz, default unwind=1) must have a user stack that reaches main. The
# binaries have no symbols, so "reaches main" means: the stack holds the
# return address in libc's __libc_start_call_main right after its call
# into main. selftests/distro/start-addrs.sh finds its file offset on the
# host; the libc mapping of /proc/PID/maps, read while the program runs,
# makes it an address.
#
# Samples taken before the program's entry point cannot reach main: ld.so
# loading and relocating the libraries, 3-8% of these runs under TCG (up
# to 25% on the debug kernel). Their stack ends in ld.so's _start
# (outermost frame in [_start, end of _dl_start_user), also from
# start-addrs.sh); they are counted apart, shown, and left out of the
# fraction. Every other sample counts: exec, the exit path, truncated and
# broken stacks.
#
# Each program then runs again, in the same VM run, under `perf record
# --call-graph dwarf` (Debian's perf, when selftests/distro/perf was built
# and works here; one profiler at a time), and perf's figure by the same
# criteria is printed beside ours. perf prints file offsets with the
# file's name, and a caller's address minus one (inside the call
# instruction, for line lookup): either counts.
#
# A shell writes its pid and execs each program, so the main thread's
# samples are those of that pid under the program's comm.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module

D=/kpm/selftests/distro
for f in xz sqlite3 python3 distro_input start-addrs py; do
	[ -e $D/$f ] || ktap_bail "$D/$f missing (make -C selftests all)"
done
ktap_header
ktap_plan 7

W=/tmp/distro.$$
mkdir -p $W
MIN=0.95
SUMMARY=
T0=$(cut -d' ' -f1 /proc/uptime)
# python3 -S starts with the three stdlib files staged in $D/py.
export PYTHONHOME=$D/py PYTHONDONTWRITEBYTECODE=1

# "main LIBC MD5 RET" and "ldso LDSO MD5 LO HI", file offsets, from the host.
while read -r what file md5 a b; do
	[ "$(md5sum <"$file" | cut -d' ' -f1)" = "$md5" ] ||
		ktap_bail "$file in the VM is not the file start-addrs.sh read on the host"
	case $what in
	main) LIBC=$file RET=$a ;;
	ldso) LDSO=$file LO=$a HI=$b ;;
	esac
done <$D/start-addrs
[ -n "${RET:-}" ] && [ -n "${LO:-}" ] || ktap_bail "$D/start-addrs is incomplete"
ktap_diag "main returns to $LIBC+$RET; before main: $LDSO+[$LO,$HI)"

# perf --call-graph dwarf, if it is here and records in this kernel.
PERF=$D/perf
if [ ! -x $PERF ]; then
	ktap_diag "no comparison with perf: $PERF was not built (linux-perf not installed)"
	PERF=
elif ! $PERF record -q -N -B -F 999 --call-graph dwarf -o $W/probe.data -- true \
		>$W/probe.log 2>&1; then
	ktap_diag "no comparison with perf: perf record --call-graph dwarf fails here:"
	sed 's/^/#   /' $W/probe.log
	PERF=
fi
rm -f $W/probe.data $W/probe.log

# addr MAPS FILE OFF: the address (hex, no 0x) of offset OFF of FILE in
# MAPS (a copy of /proc/PID/maps).
addr() {
	# shellcheck disable=SC2034
	while read -r range perms off dev inode path; do
		[ "$path" = "$2" ] || continue
		start=$((0x${range%-*}))
		end=$((0x${range#*-}))
		off=$((0x$off))
		if [ $(($3)) -ge $off ] && [ $(($3)) -lt $((off + end - start)) ]; then
			printf '%x\n' $((start + $3 - off))
			return 0
		fi
	done <"$1"
	return 1
}

# run NAME TAG CMD...: run CMD, which writes the pid of the program
# (comm NAME) to $W/pid (see WRAP); its stdout and stderr go to
# $W/NAME.TAG.out and .err, the pid to $W/NAME.TAG.pid, and the program's
# /proc/PID/maps, once ld.so has mapped libc's code, to $W/NAME.TAG.maps.
# Returns CMD's exit status.
run() {
	_name=$1
	_tag=$2
	shift 2
	rm -f $W/pid
	"$@" >$W/$_name.$_tag.out 2>$W/$_name.$_tag.err &
	_bg=$!
	_i=0
	while [ $_i -lt 1000 ] && kill -0 $_bg 2>/dev/null; do
		_pid=$(cat $W/pid 2>/dev/null)
		if [ -n "$_pid" ] && [ "$(cat /proc/$_pid/comm 2>/dev/null)" = "$_name" ] &&
		   grep -q " r-xp .* $LIBC\$" /proc/$_pid/maps 2>/dev/null; then
			cp /proc/$_pid/maps $W/$_name.$_tag.maps
			break
		fi
		_i=$((_i + 1))
		sleep 0.01
	done
	echo "$_pid" >$W/$_name.$_tag.pid
	wait $_bg
}

# Hex (no 0x) to a number; awk's doubles hold user addresses exactly.
AWK_HEX='function hex(s,  i, n) {
	n = 0
	for (i = 1; i <= length(s); i++)
		n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return n
}'

# kpm_reach FILE PID COMM RET LO HI: "reached before all" for the main
# thread of PID in kprofmap's records FILE: all its samples, those whose
# user stack holds RET, and those whose outermost frame is in [LO, HI).
kpm_reach() {
	awk -v pid="$2" -v comm="$3" -v ret="$4" -v lo="$5" -v hi="$6" "$AWK_HEX"'
	$1 == "S" && $3 == pid && $4 == pid && $5 == comm {
		n += $2
		for (i = 7; i <= NF; i++) {
			if ($i !~ /^u=/)
				continue
			u = substr($i, 3)
			if (index("," u ",", "," ret ","))
				r += $2
			else if ((k = split(u, pc, ",")) > 0 &&
				 hex(pc[k]) >= hex(lo) && hex(pc[k]) < hex(hi))
				b += $2
		}
	}
	END { print r + 0, b + 0, n + 0 }' "$1"
}

# perf_reach FILE PID COMM: the same from `perf script -F
# comm,pid,tid,ip,dso`: a "comm pid/tid" line, one "ip (file)" line a
# frame (tab-indented, ip a file offset for files), a blank line.
perf_reach() {
	awk -v pt="$2/$2" -v comm="$3" -v libc="($LIBC)" -v ret="${RET#0x}" \
	    -v ldso="($LDSO)" -v lo="${LO#0x}" -v hi="${HI#0x}" "$AWK_HEX"'
	function end_() {
		if (in_) {
			n++
			if (hit)
				r++
			else if (last_dso == ldso && last >= hex(lo) - 1 && last < hex(hi))
				b++
		}
		in_ = hit = 0
		last_dso = ""
	}
	/^[^\t]/ { end_(); if ($1 == comm && $2 == pt) in_ = 1; next }
	/^$/ { end_(); next }
	in_ {
		last = hex($1)
		last_dso = $2
		if ($2 == libc && (last == hex(ret) || last == hex(ret) - 1))
			hit = 1
	}
	END { end_(); print r + 0, b + 0, n + 0 }' "$1"
}

# figure WHO REACHED BEFORE ALL: "WHO R/(ALL-BEFORE) = P% (+BEFORE before main)"
figure() {
	awk -v who="$1" -v r="$2" -v b="$3" -v n="$4" 'BEGIN {
		printf "%s %d/%d = %.1f%% (+%d before main)", who, r, n - b,
			(n > b ? 100 * r / (n - b) : 0), b }'
}

# The shell writes its pid for run(), then execs the program: same pid.
WRAP='echo $$ >'$W'/pid; exec "$@"'

# profile NAME CMD...: run CMD (comm NAME) under kprofmap into $W/NAME.kpm,
# then again under perf record --call-graph dwarf into $W/NAME.script (one
# profiler at a time: neither samples the other's work).
profile() {
	_name=$1
	shift
	echo start >/proc/kprofmap/control
	run $_name kpm sh -c "$WRAP" sh "$@"
	echo $? >$W/$_name.kpm.rc
	echo stop >/proc/kprofmap/control
	cat /proc/kprofmap/drain >$W/$_name.kpm
	[ -n "$PERF" ] || return 0
	run $_name perf $PERF record -q -N -B -F 999 --call-graph dwarf \
		-o $W/$_name.data -- sh -c "$WRAP" sh "$@"
	echo $? >$W/$_name.perf.rc
	$PERF script -i $W/$_name.data -F comm,pid,tid,ip,dso --no-inline \
		>$W/$_name.script 2>$W/$_name.script.err
	rm -f $W/$_name.data
}

# judge_kpm NAME: the test point on kprofmap's figure; sets FIG.
judge_kpm() {
	_pid=$(cat $W/$1.kpm.pid)
	_rc=$(cat $W/$1.kpm.rc)
	_m=$W/$1.kpm.maps
	FIG="kprofmap: no figure"
	if [ ! -s $_m ] || ! _ret=$(addr $_m $LIBC $RET) || ! _lo=$(addr $_m $LDSO $LO) ||
	   ! _hi=$(addr $_m $LDSO $((HI - 1))); then
		sed 's/^/# stderr: /' $W/$1.kpm.err
		ktap_fail "$1: libc and ld.so mapped while it ran (pid $_pid, exit $_rc)"
		return
	fi
	_hi=$(printf '%x' $((0x$_hi + 1)))
	# shellcheck disable=SC2046
	set -- "$1" $(kpm_reach $W/$1.kpm "$_pid" "$1" "$_ret" "$_lo" "$_hi")
	FIG=$(figure kprofmap "$2" "$3" "$4")
	ktap_diag "$1 (pid $_pid, exit $_rc, $(wc -c <$W/$1.kpm.out) bytes out): $FIG"
	[ "$_rc" -eq 0 ] || sed 's/^/# stderr: /' $W/$1.kpm.err
	ktap_result "$1: >= $(awk -v m=$MIN 'BEGIN { print 100 * m }')% of the main thread's samples reach main" \
		awk -v rc="$_rc" -v r="$2" -v b="$3" -v n="$4" -v min=$MIN \
			'BEGIN { exit !(rc == 0 && n - b >= 200 && r >= min * (n - b)) }'
}

# judge_perf NAME: the test point on perf's run; appends its figure to FIG.
judge_perf() {
	if [ -z "$PERF" ]; then
		ktap_skip "$1: perf --call-graph dwarf recorded its main thread (>= 200 samples)" "no perf"
		return
	fi
	_pid=$(cat $W/$1.perf.pid)
	_rc=$(cat $W/$1.perf.rc)
	# shellcheck disable=SC2046
	set -- "$1" $(perf_reach $W/$1.script "$_pid" "$1")
	FIG="$FIG; $(figure perf "$2" "$3" "$4")"
	ktap_diag "$1 under perf (pid $_pid, exit $_rc, $(wc -c <$W/$1.perf.out) bytes out): $(figure perf "$2" "$3" "$4")"
	ktap_result "$1: perf --call-graph dwarf recorded its main thread (>= 200 samples)" \
		sh -c "[ $_rc -eq 0 ] && [ $(($4 - $3)) -ge 200 ] ||
		       { sed 's/^/stderr: /' $W/$1.perf.err $W/$1.script.err; false; }"
	rm -f $W/$1.script
}

# judge NAME CMD...: profile, then both test points; the figures go to
# SUMMARY.
judge() {
	profile "$@"
	judge_kpm $1
	judge_perf $1
	SUMMARY="$SUMMARY
$1: $FIG"
}

kpm_load freq=999 autostart=0 || ktap_bail "insmod failed"

$D/distro_input 1 1000000 >$W/in.txt
judge xz $D/xz -T1 -1 -c $W/in.txt
judge sqlite3 $D/sqlite3 :memory: \
	'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 120000)
	 SELECT sum(x * x % 7) FROM c;'
judge python3 $D/python3 -S -s -c '
n = 0
for i in range(400000):
    n += i * i % 7
print(n)'
ktap_diag "$(grep '^unwind_' /proc/kprofmap/stats | tr '\n' ' ')"
ktap_diag "main thread samples that reach main (before main: apart):"
echo "$SUMMARY" | sed '/^$/d; s/^/#   /'

kpm_unload_check "unload, kernel log clean"
ktap_diag "guest time $(awk -v t0="$T0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s"
rm -rf $W
ktap_finished
