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
	d=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n 1)
	echo "${d#/usr/src/linux-headers-}"
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
