#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-debug-kernel.sh - build, once per machine, the 6.1 debug kernel the
# trust tier boots: lockdep, KASAN, kmemleak, debug objects, failslab.
#
#   scripts/build-debug-kernel.sh [--quiet] [--force] [--print-dir]
#
# Source: Debian's linux-source-6.1 (the same code as the Debian 6.1 image).
# Config: x86_64_defconfig + kernel/configs/kvm_guest.config +
# scripts/debug-kernel.config, then olddefconfig; every CONFIG_ line of the
# fragment must hold in the result or the build fails.
# Build:  nice make -j2 bzImage modules_prepare; vmlinux.symvers is copied
# to Module.symvers, so external modules (kprofmap.ko) link against the
# kernel's exports without a `make modules` pass.
#
# The result is cached outside git, keyed by the source package version,
# the fragment's CONFIG_ lines, the recipe version below and the compiler:
#   $KPM_CACHE/debug-kernel/SRCVER-KEY/build     kernel tree (KDIR for modules)
#   $KPM_CACHE/debug-kernel/SRCVER-KEY/boot/vmlinuz-6.1-debug  (bzImage)
#   $KPM_CACHE/kernels/6.1-debug -> ../debug-kernel/SRCVER-KEY
# so `scripts/vm-run.sh --kver 6.1-debug` boots it like any Debian kernel.
# Only the first run pays: 46 minutes measured on 2 cores shared with other
# builds and VMs (load 5-8), 23 alone; 1572 s at SCHED_IDLE beside `make
# check`'s VM tiers, which start it in the background (2026-12-04); 1.9 GB
# of disk. Later runs check the key and return in about 0.3 s. Trees of other keys are removed after a
# successful build.
#
# --quiet      print nothing when the cached kernel is current
# --force      rebuild even when the cache is current
# --print-dir  print the kernel tree (KDIR) on stdout when done
#
# Environment: KPM_CACHE (default /var/cache/kprofmap), KPM_JOBS (default 2).

set -euo pipefail
. "$(dirname "$0")/common.sh"

SRC_PKG=linux-source-6.1
SRC_TAR=/usr/src/linux-source-6.1.tar.xz
FRAGMENT="$KPM_TOP/scripts/debug-kernel.config"
KVER=$(kpm_debug_kver)
JOBS=${KPM_JOBS:-2}
# Bump when build() changes in a way that changes the built tree.
RECIPE=1

QUIET=0
FORCE=0
PRINT_DIR=0
for arg in "$@"; do
	case "$arg" in
	--quiet) QUIET=1 ;;
	--force) FORCE=1 ;;
	--print-dir) PRINT_DIR=1 ;;
	-h|--help) sed -n '4,32s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) kpm_die "unknown argument $arg (try --help)" ;;
	esac
done

say() {
	echo "build-debug-kernel: $*" >&2
}

# SRCVER-KEY: what the cached tree was built from.
cache_key() {
	local srcver key
	srcver=$(dpkg-query -W -f='${Version}' "$SRC_PKG" 2>/dev/null) ||
		kpm_die "$SRC_PKG is not installed (scripts/setup.sh)"
	key=$({ echo "$srcver"; echo "recipe $RECIPE"; grep -E '^(CONFIG_|# CONFIG_)' "$FRAGMENT"; gcc --version | head -n 1; } |
		sha256sum | cut -c1-12)
	echo "$srcver-$key"
}

# Fail unless every CONFIG_ line of the fragment holds in .config.
check_config() {
	local config=$1 line name bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) name=${line%%=*}
			grep -qx -- "$line" "$config" || { say "$name: wanted '$line', got '$(grep -- "^$name=" "$config" || echo "not set")'"; bad=1; } ;;
		"# CONFIG_"*" is not set") name=${line#\# }; name=${name%% *}
			grep -q -- "^$name=" "$config" && { say "$name: wanted it unset, got '$(grep -- "^$name=" "$config")'"; bad=1; } ;;
		esac
	done <"$FRAGMENT"
	[[ $bad -eq 0 ]] || kpm_die "the merged .config does not hold scripts/debug-kernel.config (see above)"
}

build() {
	local dir=$1 tree="$1/build" t0 t1
	t0=$(date +%s)
	rm -rf "$dir"
	mkdir -p "$tree" "$dir/boot"
	say "building $KVER in $dir (cold build: nice make -j$JOBS, tens of minutes)"
	say "unpacking $SRC_TAR"
	tar -xJf "$SRC_TAR" -C "$tree" --strip-components=1

	make -s -C "$tree" x86_64_defconfig
	(cd "$tree" && scripts/kconfig/merge_config.sh -m .config \
		kernel/configs/kvm_guest.config "$FRAGMENT" >/dev/null)
	make -s -C "$tree" olddefconfig
	check_config "$tree/.config"

	say "compiling"
	nice -n 10 make -C "$tree" -j"$JOBS" -s bzImage modules_prepare
	# Module.symvers as `make modules` would write it for a kernel with no
	# modules of its own: the exports of vmlinux.
	cp "$tree/vmlinux.symvers" "$tree/Module.symvers"
	cp "$tree/arch/x86/boot/bzImage" "$dir/boot/vmlinuz-$KVER"
	# No boot/vmlinux: this KASAN vmlinux does not boot through its PVH
	# entry here (no console output at all), so vm-run.sh boots bzImage.
	t1=$(date +%s)
	echo "$(basename "$dir") built in $((t1 - t0)) s" >"$dir/.kprofmap-done"
	say "built in $((t1 - t0)) s: $(make -s -C "$tree" kernelrelease)"
}

main() {
	local key dir link old
	key=$(cache_key)
	dir="$KPM_CACHE/debug-kernel/$key"
	link=$(kpm_kernel_dir "$KVER")

	mkdir -p "$KPM_CACHE/debug-kernel" "$KPM_CACHE/kernels"
	exec 9>"$KPM_CACHE/debug-kernel/.lock"
	flock 9
	if [[ $FORCE -eq 1 || ! -f $dir/.kprofmap-done ]]; then
		[[ -f $SRC_TAR ]] || kpm_die "no $SRC_TAR (scripts/setup.sh installs $SRC_PKG)"
		build "$dir"
		for old in "$KPM_CACHE"/debug-kernel/*/; do
			old=${old%/}
			[[ $old != "$dir" ]] && { say "removing stale $old"; rm -rf "$old"; }
		done
	elif [[ $QUIET -eq 0 ]]; then
		say "cached: $dir ($(cat "$dir/.kprofmap-done"))"
	fi
	if [[ $(readlink "$link" 2>/dev/null) != "../debug-kernel/$key" ]]; then
		ln -sfn "../debug-kernel/$key" "$link"
	fi
	flock -u 9
	[[ $PRINT_DIR -eq 0 ]] || echo "$link/build"
}

main
