# SPDX-License-Identifier: GPL-2.0
#
# common.sh - paths and small helpers shared by the scripts in scripts/.
# Sourced, never run. Everything here is cheap: no package look-ups.
#
#   KPM_TOP     the checkout (parent of scripts/)
#   KPM_CACHE   downloads and unpacked kernels, outside git
#               (default /var/cache/kprofmap)
#   kpm_default_kver     newest installed Debian 6.1 headers, e.g. 6.1.0-56-amd64
#   kpm_kernel_dir KVER  where setup.sh unpacks linux-image-KVER
#   kpm_vmlinuz KVER     its compressed kernel (bzImage)
#   kpm_vmlinux KVER     the same decompressed to ELF (PVH boot, faster)
#   kpm_debug_kver       name of the debug kernel, 6.1-debug
#   kpm_resolve_kver K   6.1 / 6.12 / 6.1-rt / 6.1-debug / a release -> release
#   kpm_kdir KVER        kernel build tree to build modules against
#   kpm_release KVER     its `uname -r` (what a module's vermagic names)
#   kpm_kernel_cmdline KVER  what vm-run.sh adds to that kernel's command line
#   kpm_die MSG...       print "SCRIPT: MSG" on stderr, exit 1

KPM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KPM_CACHE=${KPM_CACHE:-/var/cache/kprofmap}
export KPM_TOP KPM_CACHE

kpm_die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# The kernel release of the newest /usr/src/linux-headers-6.1.*-amd64,
# the same tree the top Makefile builds against by default. Empty if none.
kpm_default_kver() {
	local d
	# Debian's generic flavour only: not 6.1.0-N-rt-amd64 or -cloud-amd64.
	d=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null |
		sed 's|^/usr/src/linux-headers-||' | grep -E '^6\.1\.[0-9]+-[0-9]+-amd64$' |
		sort -V | tail -n 1 || true)
	echo "$d"
}

# The PREEMPT_RT flavour of the default 6.1 kernel (same ABI number):
# Debian's linux-image-6.1.0-N-rt-amd64. Empty without a default.
kpm_rt_kver() {
	local d
	d=$(kpm_default_kver)
	[[ -z $d ]] || echo "${d%-amd64}-rt-amd64"
}

kpm_kernel_dir() {
	echo "$KPM_CACHE/kernels/$1"
}

kpm_vmlinuz() {
	echo "$(kpm_kernel_dir "$1")/boot/vmlinuz-$1"
}

kpm_vmlinux() {
	echo "$(kpm_kernel_dir "$1")/boot/vmlinux-$1"
}

# ---------------------------------------------------------------- kernel matrix
# The kernels `make check` runs on, by short name: 6.1 (Debian's, the
# default), 6.12 (Debian's LTS), 6.1-rt (Debian's PREEMPT_RT flavour of
# that 6.1), 6.1-debug (built from linux-source-6.1 by
# build-debug-kernel.sh). Each resolves to a release that names its
# directory under $KPM_CACHE/kernels and its build tree under build/.

kpm_debug_kver() {
	echo "6.1-debug"
}

# The release of the newest /usr/src/linux-headers-6.12.*-amd64 or, where
# setup.sh unpacked them (never installed), $KPM_CACHE/headers/. Empty if none.
kpm_612_kver() {
	local d
	d=$(ls -d /usr/src/linux-headers-6.12.*-amd64 \
		"$KPM_CACHE"/headers/usr/src/linux-headers-6.12.*-amd64 2>/dev/null |
		sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
	echo "$d"
}

kpm_resolve_kver() {
	case "$1" in
	""|6.1) kpm_default_kver ;;
	6.12) kpm_612_kver ;;
	6.1-rt) kpm_rt_kver ;;
	*) echo "$1" ;;
	esac
}

kpm_kdir() {
	if [[ $1 == "$(kpm_debug_kver)" ]]; then
		echo "$(kpm_kernel_dir "$1")/build"
	elif [[ -d /usr/src/linux-headers-$1 ]]; then
		echo "/usr/src/linux-headers-$1"
	else
		echo "$KPM_CACHE/headers/usr/src/linux-headers-$1"
	fi
}

kpm_release() {
	if [[ $1 == "$(kpm_debug_kver)" ]]; then
		cat "$(kpm_kdir "$1")/include/config/kernel.release"
	else
		echo "$1"
	fi
}

# The debug kernel marks kprofmap's slab caches for failslab's cache filter
# at creation: kmem_cache_create() refuses SLAB_FAILSLAB (module/compat.h)
# and 6.1's /sys/kernel/slab/NAME/failslab is read-only.
# Its console prints only KERN_ERR and worse (loglevel=4): 6.1's serial
# console takes its port lock, a spinlock_t, in whatever context printk
# runs, so a warning printed in hard irq (hrtimer's "interrupt took N ns",
# which TCG's pace sets off) is an invalid wait context under
# PROVE_RAW_LOCK_NESTING, and lockdep turns itself off after reporting
# it (measured on the first boot: before any module, debug_locks 0).
# The ring buffer keeps every line: vm-run.sh dumps and checks it whole,
# and the tests read it with dmesg.
kpm_kernel_cmdline() {
	if [[ $1 == "$(kpm_debug_kver)" ]]; then
		echo "slub_debug=A,kprofmap_* loglevel=4"
	fi
}
