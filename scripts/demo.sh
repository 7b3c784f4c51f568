#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - `make demo`: profile a CPU + syscall workload in the VM.
#
#   scripts/demo.sh
#
# Builds kprofmap, boots the test VM (scripts/vm-run.sh), loads the module
# at 999 Hz, runs the bundled workloads (selftests/workloads: kpm_split,
# CPU time split 60/30/10 across three functions, and kpm_readzero, a
# read(2) loop on /dev/zero) on both vCPUs, writes the profile with
# kprof2pprof while they still run, and brings it back as
# out/kprofmap-demo.pb.gz. Then prints `go tool pprof -top` of it.
#
# Environment: KPM_DEMO_SECONDS (profiling time, default 5), KVER.

set -euo pipefail
. "$(dirname "$0")/common.sh"

SECS=${KPM_DEMO_SECONDS:-5}
PROFILE="$KPM_TOP/out/kprofmap-demo.pb.gz"

say() {
	echo "demo: $*"
}

build() {
	local kdir="/usr/src/linux-headers-$KVER"
	say "building (KDIR=$kdir)"
	make -s -C "$KPM_TOP" KDIR="$kdir" all
	make -s -C "$KPM_TOP/selftests/workloads"
	local f
	for f in module/kprofmap.ko user/kprof2pprof selftests/workloads/kpm_split \
		selftests/workloads/kpm_readzero; do
		[[ -f $KPM_TOP/$f ]] || kpm_die "$f was not built"
	done
}

# The guest side. The workloads are stopped only after kprof2pprof has
# symbolized their frames from /proc/PID/maps: they must still be alive.
guest_script() {
	cat <<EOF
set -e
w=/kpm/selftests/workloads
insmod /kpm/kprofmap.ko freq=999
\$w/kpm_split 600 >/dev/null & split=\$!
\$w/kpm_readzero 600 >/dev/null & readzero=\$!
sleep $SECS
./kprof2pprof -o /out/kprofmap-demo.pb.gz
kill \$split \$readzero
wait || true
rmmod kprofmap
ls -l /out/kprofmap-demo.pb.gz
EOF
}

main() {
	"$KPM_TOP/scripts/setup.sh" --quiet
	KVER=${KVER:-$(kpm_default_kver)}
	build

	local out="$KPM_TOP/build/demo"
	rm -rf "$out"
	say "profiling the workloads for ${SECS}s in the VM"
	"$KPM_TOP/scripts/vm-run.sh" --kver "$KVER" --out "$out" --timeout 600 -- "$(guest_script)"
	mkdir -p "$(dirname "$PROFILE")"
	cp "$out/kprofmap-demo.pb.gz" "$PROFILE"
	say "wrote $PROFILE"
	echo
	go tool pprof -top "$PROFILE"
}

main
