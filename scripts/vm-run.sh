#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-run.sh - run a command inside Debian's kernel in QEMU (TCG), check the
# kernel log, bring result files back. The one VM runner of kprofmap: the
# tests, the demo and the benchmarks all boot through it.
#
#   scripts/vm-run.sh [OPTIONS] -- COMMAND...
#
#   --cpus N            virtual CPUs (default 2)
#   --mem MB            guest memory (default 1024)
#   --icount SHIFT      deterministic guest time: -icount shift=SHIFT,sleep=off
#                       (single-threaded TCG; guest ns = insns << SHIFT);
#                       needs --cpus 1 (with 2 vCPUs the guest hangs here)
#   --tcg-single        run every vCPU on one host thread, in turn
#                       (-accel tcg,thread=single): code one vCPU patches
#                       is seen at once by the others (see check.sh, "rr")
#   --timeout SECONDS   kill QEMU after this long (default 600)
#   --out DIR           host directory that receives what the guest wrote
#                       to /out (created; existing files are overwritten)
#   --add HOST:GUEST    copy a file or directory into the initramfs at GUEST
#                       (repeatable); ELF executables get their ldd libraries
#   --kver VERSION      kernel to boot: a release, or 6.1 (default: the newest
#                       Debian 6.1 headers), 6.12, 6.1-debug (see setup.sh)
#   --append ARGS       extra kernel command line
#   --expect-fail-log   invert the kernel log check (runner self-test): a
#                       clean log fails the run (125); a dirty one returns
#                       the guest command's status (0 if it did not finish)
#   --bzimage           boot the compressed vmlinuz (KASLR on, ~3 s slower)
#                       instead of the ELF vmlinux setup.sh extracts (PVH
#                       entry, no decompressor, so no KASLR)
#   --keep              keep the work directory (console log, initramfs)
#
# COMMAND (all words joined by spaces) runs under /bin/sh in /kpm, with
# PATH=/kpm:/bin:/sbin:/usr/bin:/usr/sbin, KPM_VM=1 and KPM_ICOUNT=SHIFT
# (empty without --icount). /kpm holds:
#   /kpm/kprofmap.ko       the newer of module/kprofmap.ko and
#                          build/VERSION/module/kprofmap.ko built for the
#                          booted kernel (its vermagic), if any
#   /kpm/signed/*.ko       its signed copies, when it is build-module.sh's
#   /kpm/kprof2pprof       user/kprof2pprof, if built (with its libraries)
#   /kpm/selftests/...     selftests/ but unit/ (host only) and objects; ELF
#                          programs come with their libraries
# Its stdout/stderr are streamed to ours.
#
# Exit status: the guest command's, when the run is clean. 124 on timeout,
# 125 when the VM run itself failed: the guest did not finish (panic, hang),
# or its kernel log shows a panic, Oops, WARNING, BUG, leak, lockdep report,
# or a taint other than O (out-of-tree, 4096) and E (unsigned, 8192). The
# offending log lines are printed with their line numbers, and the console
# log is kept (its path is printed).

set -euo pipefail
. "$(dirname "$0")/common.sh"

CPUS=2
MEM=1024
ICOUNT=
TIMEOUT=600
OUT=
KVER=
APPEND=
EXPECT_FAIL_LOG=0
KEEP=0
BZIMAGE=0
TCG_SINGLE=0
KEEP_CPIO=0
ADDS=()

# KPM_BAD_LOG_RE: kernel log lines that fail the run. One definition,
# shared with the in-guest test helpers.
. "$KPM_TOP/selftests/lib/kpm.sh"

# Taint bits a test run may have: O (out-of-tree module), E (unsigned module).
ALLOWED_TAINT=$((4096 | 8192))
TAINT_LETTERS=PFSRMBUDAWCIOELKXTN

usage() {
	sed -n '4,47s/^# \{0,1\}//p' "$0"
	exit "${1:-0}"
}

log() {
	echo "vm-run: $*" >&2
}

# Exit with status 125, naming the console log.
fail() {
	log "$*"
	[[ -f ${CONSOLE:-} ]] && log "console log: $CONSOLE"
	KEEP=1
	exit 125
}

parse_args() {
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--cpus) CPUS=$2; shift ;;
		--mem) MEM=$2; shift ;;
		--icount) ICOUNT=$2; shift ;;
		--tcg-single) TCG_SINGLE=1 ;;
		--timeout) TIMEOUT=$2; shift ;;
		--out) OUT=$2; shift ;;
		--add) ADDS+=("$2"); shift ;;
		--kver) KVER=$2; shift ;;
		--append) APPEND=$2; shift ;;
		--expect-fail-log) EXPECT_FAIL_LOG=1 ;;
		--keep) KEEP=1; KEEP_CPIO=1 ;;
		--bzimage) BZIMAGE=1 ;;
		-h|--help) usage 0 ;;
		--) shift; break ;;
		*) log "unknown argument '$1' (COMMAND goes after --)"; usage 2 >&2 ;;
		esac
		shift
	done
	CMD="$*"
	[[ -n $CMD ]] || { log "no COMMAND given"; usage 2 >&2; }
	[[ -n $KVER ]] || KVER=6.1
	if [[ -n $ICOUNT && $CPUS -ne 1 ]]; then
		log "--icount needs --cpus 1 (the guest hangs with $CPUS vCPUs under -icount)"
		exit 2
	fi
}

# ---------------------------------------------------------------- initramfs

# Copy the shared libraries and the dynamic loader that ldd names for the
# ELF executables under the staged paths "$@" into the staging root. Few
# processes: forks are what is slow on a loaded host.
copy_libs_under() {
	local f magic elves=() libs
	while IFS= read -r -d '' f; do
		IFS= read -r -n 4 -d '' magic <"$f" || true
		[[ $magic == $'\x7fELF' ]] && elves+=("$f")
	done < <(find "$@" -type f -perm -u+x -print0)
	[[ ${#elves[@]} -gt 0 ]] || return 0
	libs=$(ldd "${elves[@]}" 2>/dev/null |
		sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | sort -u)
	# shellcheck disable=SC2086
	[[ -z $libs ]] || cp -L --parents $libs "$STAGE/"
}

# The unchanging part of the initramfs: busybox-static with its applet
# symlinks and the empty mount points, cached per busybox version. The
# kernel unpacks concatenated cpio archives in order, so each run only
# appends its own /init and /kpm.
base_cpio() {
	local ver cpio dir app
	ver=$(dpkg-query -W -f='${Version}' busybox-static | tr ':~' '__')
	cpio="$KPM_CACHE/initramfs/busybox-$ver.cpio"
	if [[ ! -f $cpio ]]; then
		dir=$(mktemp -d)
		mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,out,root,etc,kpm}
		cp /bin/busybox "$dir/bin/busybox"
		for app in $(/bin/busybox --list-full); do
			[[ -e $dir/$app ]] || ln -s /bin/busybox "$dir/$app"
		done
		mkdir -p "$KPM_CACHE/initramfs"
		(cd "$dir" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) >"$cpio.$$"
		mv "$cpio.$$" "$cpio"
		rm -rf "$dir"
	fi
	echo "$cpio"
}

# The newest kprofmap.ko whose vermagic names the booted kernel: the
# top-level `make`'s module/kprofmap.ko or scripts/build-module.sh's
# build/KVER/module/kprofmap.ko. Nothing if neither was built for it.
module_for_kver() {
	local release ko best=
	release=$(kpm_release "$KVER")
	for ko in "$KPM_TOP/module/kprofmap.ko" "$KPM_TOP/build/$KVER/module/kprofmap.ko"; do
		[[ -f $ko && $(modinfo -F vermagic "$ko" 2>/dev/null) == "$release "* ]] || continue
		[[ -z $best || $ko -nt $best ]] && best=$ko
	done
	echo "$best"
}

stage_kpm() {
	local kpm="$STAGE/kpm" add host guest ko
	ko=$(module_for_kver)
	[[ -n $ko ]] && cp "$ko" "$kpm/kprofmap.ko"
	# build-module.sh's signed copies of that module, if it is theirs.
	if [[ $ko == */module/kprofmap.ko && -d ${ko%/module/kprofmap.ko}/signed ]]; then
		mkdir -p "$kpm/signed"
		cp "${ko%/module/kprofmap.ko}"/signed/*.ko "$kpm/signed/" 2>/dev/null || true
	fi
	[[ -f $KPM_TOP/user/kprof2pprof ]] && cp "$KPM_TOP/user/kprof2pprof" "$kpm/"
	if [[ -d $KPM_TOP/selftests ]]; then
		tar -C "$KPM_TOP" -cf - --exclude='*.o' --exclude='.*.cmd' --exclude='*.mod' \
			--exclude='*.mod.c' --exclude='*.mod.o' --exclude='.tmp*' --exclude=selftests/unit selftests |
			tar -C "$kpm" -xf -
	fi
	for add in "${ADDS[@]}"; do
		host=${add%%:*}
		guest=${add#*:}
		[[ $add == *:* && -n $host && $guest == /* ]] ||
			fail "--add wants HOSTPATH:/GUESTPATH, got '$add'"
		[[ -e $host ]] || fail "--add: no such file: $host"
		mkdir -p "$STAGE$(dirname "$guest")"
		cp -a "$host" "$STAGE$guest"
	done
	local staged=("$STAGE/kpm")
	for add in "${ADDS[@]}"; do
		staged+=("$STAGE${add#*:}")
	done
	copy_libs_under "${staged[@]}"
}

# The guest's /init: mount, run the command, report, send /out, power off.
# Every marker starts with KPM- so the host finds it in the console log.
write_init() {
	printf 'export KPM_ICOUNT=%s\n%s\n' "$ICOUNT" "$CMD" >"$STAGE/kpm/.kpm-cmd"
	cat >"$STAGE/init" <<'EOF'
#!/bin/sh
# /init of the kprofmap test VM, written by scripts/vm-run.sh
export PATH=/kpm:/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=dumb KPM_VM=1
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
ip link set lo up 2>/dev/null
echo "KPM-INIT uptime=$(cut -d' ' -f1 /proc/uptime)"
stty -F /dev/ttyS1 raw -echo 2>/dev/null

cd /kpm
echo "KPM-CMD-BEGIN"
/bin/sh /kpm/.kpm-cmd </dev/null
echo "KPM-CMD-END rc=$?"

echo "KPM-DMESG-BEGIN"
dmesg
echo "KPM-DMESG-END"
echo "KPM-TAINTED $(cat /proc/sys/kernel/tainted)"
{
	echo "KPM-OUT-BEGIN"
	tar -C /out -cf - . | base64
	echo "KPM-OUT-END"
} >/dev/ttyS1
# write() returns once the tty has the bytes, not once the UART has sent
# them: a poweroff right away once cut the tail, KPM-OUT-END included
# (6.12, two VMs on the two host CPUs). A second lets the tty drain.
sleep 1
echo "KPM-DONE"
poweroff -f
EOF
	chmod +x "$STAGE/init"
}

build_initramfs() {
	local base
	base=$(base_cpio)
	STAGE="$WORK/root"
	mkdir -p "$STAGE/kpm"
	stage_kpm
	write_init
	cp "$base" "$WORK/initramfs.cpio"
	(cd "$STAGE" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) >>"$WORK/initramfs.cpio"
	rm -rf "$STAGE"
}

# ---------------------------------------------------------------- the VM

# Stream the guest command's output (console lines between the markers).
stream_console() {
	tail -n +1 -F -s 0.1 --pid="$1" "$RAW_CONSOLE" 2>/dev/null | tr -d '\r' |
		awk '/KPM-CMD-BEGIN/ { on = 1; next } /KPM-CMD-END/ { on = 0 } on { print; fflush() }'
}

# no_timer_check: under TCG on a busy host the IO-APIC timer check at boot
# can miss its ticks and panic ("IO-APIC + timer doesn't work!", seen once
# here with a load average of 7); a VM has no broken timer routing to find.
boot() {
	local kernel qemu_rc=0 t0 qpid
	kernel=$(kpm_vmlinux "$KVER")
	[[ $BZIMAGE -eq 0 && -f $kernel ]] || kernel=$(kpm_vmlinuz "$KVER")
	local qemu=(qemu-system-x86_64 -nodefaults -display none -no-reboot
		-machine pc -cpu max -smp "$CPUS" -m "$MEM"
		-kernel "$kernel" -initrd "$WORK/initramfs.cpio"
		-append "console=ttyS0 panic=-1 loglevel=5 log_buf_len=4M no_timer_check $(kpm_kernel_cmdline "$KVER") $APPEND"
		-chardev "file,id=con,path=$RAW_CONSOLE" -serial chardev:con
		-chardev "file,id=out,path=$WORK/ttyS1.raw" -serial chardev:out)
	[[ -n $ICOUNT ]] && qemu+=(-icount "shift=$ICOUNT,sleep=off")
	[[ $TCG_SINGLE -eq 0 ]] || qemu+=(-accel tcg,thread=single)

	: >"$RAW_CONSOLE"
	t0=$(date +%s.%N)
	timeout --kill-after=5 "$TIMEOUT" "${qemu[@]}" </dev/null &
	qpid=$!
	stream_console "$qpid" &
	wait "$qpid" || qemu_rc=$?
	wait
	WALL=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	tr -d '\r' <"$RAW_CONSOLE" >"$CONSOLE"
	rm -f "$RAW_CONSOLE"

	[[ $qemu_rc -eq 124 || $qemu_rc -eq 137 ]] && { log "TIMEOUT after ${TIMEOUT}s"; log "console log: $CONSOLE"; KEEP=1; exit 124; }
	[[ $qemu_rc -eq 0 ]] || fail "qemu-system-x86_64 exited with status $qemu_rc"
}

# ---------------------------------------------------------------- checks

# Print "N" of the first "MARKER N"-style field in the console log.
marker_value() {
	grep -ao "$1[^ ]*" "$CONSOLE" | head -n 1 | sed "s/^$1//"
}

# Print the problems of the kernel log, one per line, empty when clean.
log_problems() {
	local from=1 to tainted bad bit
	to=$(wc -l <"$CONSOLE")
	# The full dmesg dump when the guest got that far, else the whole console.
	if grep -q 'KPM-DMESG-END' "$CONSOLE"; then
		from=$(grep -n 'KPM-DMESG-BEGIN' "$CONSOLE" | tail -n 1 | cut -d: -f1)
		to=$(grep -n 'KPM-DMESG-END' "$CONSOLE" | tail -n 1 | cut -d: -f1)
	fi
	awk -v from="$from" -v to="$to" -v re="$KPM_BAD_LOG_RE" -v f="$CONSOLE" \
		'NR >= from && NR <= to && $0 ~ re { printf "%s:%d: %s\n", f, NR, $0 }' "$CONSOLE"

	tainted=$(marker_value 'KPM-TAINTED ')
	[[ -n $tainted ]] || { echo "guest did not report /proc/sys/kernel/tainted"; return; }
	bad=$((tainted & ~ALLOWED_TAINT))
	if [[ $bad -ne 0 ]]; then
		local letters=
		for ((bit = 0; bit < ${#TAINT_LETTERS}; bit++)); do
			((bad >> bit & 1)) && letters+=${TAINT_LETTERS:bit:1}
		done
		echo "kernel tainted=$tainted: bits $bad ($letters) beyond O and E"
	fi
}

# True if the console's first KPM_BAD_LOG_RE line comes before /init's
# KPM-INIT marker (the console, not the dmesg dump, orders them).
before_init_only() {
	local first init
	first=$(grep -nE "$KPM_BAD_LOG_RE" "$CONSOLE" | head -n 1 | cut -d: -f1)
	init=$(grep -n 'KPM-INIT uptime=' "$CONSOLE" | head -n 1 | cut -d: -f1)
	[[ -n $first && -n $init && $first -lt $init ]]
}

fetch_out() {
	[[ -n $OUT ]] || return 0
	local raw="$WORK/ttyS1.raw"
	grep -q 'KPM-OUT-END' "$raw" 2>/dev/null || fail "guest did not send /out back"
	mkdir -p "$OUT"
	tr -d '\r' <"$raw" | sed -n '/KPM-OUT-BEGIN/,/KPM-OUT-END/{/KPM-OUT-/d;p}' |
		base64 -d | tar -C "$OUT" -xf - || fail "cannot unpack the guest's /out into $OUT"
}

cleanup() {
	if [[ $KEEP -eq 1 ]]; then
		[[ -d ${STAGE:-} ]] && rm -rf "$STAGE"
		[[ $KEEP_CPIO -eq 1 ]] || rm -f "$WORK/initramfs.cpio"
	else
		rm -rf "$WORK"
	fi
}

main() {
	parse_args "$@"
	"$KPM_TOP/scripts/setup.sh" --quiet "$KVER"
	KVER=$(kpm_resolve_kver "$KVER")
	[[ -f $(kpm_vmlinuz "$KVER") ]] || kpm_die "no kernel for $KVER (scripts/setup.sh $KVER)"

	mkdir -p "$KPM_TOP/build/vm"
	# Work directories of failed runs are kept for a day.
	find "$KPM_TOP/build/vm" -maxdepth 1 -name 'run.*' -mmin +1440 -exec rm -rf {} +
	WORK=$(mktemp -d "$KPM_TOP/build/vm/run.XXXXXX")
	CONSOLE="$WORK/console.log"
	RAW_CONSOLE="$WORK/console.raw"
	trap cleanup EXIT

	build_initramfs
	boot

	local rc problems boot_s
	problems=$(log_problems)
	# The 6.1 debug kernel has twice taken an interrupt in identify_cpu()
	# at boot that KASAN reported (a wild access in handle_edge_irq(),
	# ~5 ms in, long before /init and any module; it also turns lockdep
	# off). A report that the kernel printed before /init started is the
	# boot's, not the module's: the whole run is repeated once, and said.
	if [[ -n $problems && $EXPECT_FAIL_LOG -eq 0 ]] && before_init_only; then
		log "the kernel reported at boot, before /init (not the module's):"
		echo "$problems" | sed 's/^/vm-run:   /' >&2
		log "booting once more (first console log: $WORK/console.first.log)"
		mv "$CONSOLE" "$WORK/console.first.log"
		KEEP=1
		boot
		problems=$(log_problems)
	fi
	rc=$(marker_value 'KPM-CMD-END rc=')
	boot_s=$(marker_value 'KPM-INIT uptime=')

	if [[ $EXPECT_FAIL_LOG -eq 1 ]]; then
		[[ -n $problems ]] || fail "--expect-fail-log: the kernel log is clean, expected a failure"
		log "kernel log check failed, as expected (--expect-fail-log):"
		echo "$problems" | sed 's/^/vm-run:   /' >&2
		return "${rc:-0}"
	fi

	if [[ -n $problems ]]; then
		log "FAILED: the guest kernel log is not clean:"
		echo "$problems" | sed 's/^/vm-run:   /' >&2
	fi
	[[ -n $rc ]] || fail "the guest did not finish its command (kernel panic or hang?)"
	fetch_out
	[[ -z $problems ]] || fail "kernel log check failed"
	log "guest exit status $rc; /init reached at ${boot_s}s guest time; ${WALL}s wall in all ($CPUS cpus${ICOUNT:+, icount shift=$ICOUNT}$( ((TCG_SINGLE)) && echo ', one TCG thread'), $KVER)"
	return "$rc"
}

status=0
main "$@" || status=$?
exit "$status"
