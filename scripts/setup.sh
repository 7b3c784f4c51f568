#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# setup.sh - install and unpack everything kprofmap needs on Debian 12.
#
#   scripts/setup.sh [--quiet] [KVER...]
#
# KVER is a kernel release (6.1.0-56-amd64) or a short name: 6.1 (the
# newest installed Debian 6.1 headers), 6.12 (the newest Debian 6.12 amd64
# headers, unpacked or else the archive's newest), 6.1-rt (the PREEMPT_RT
# flavour of that 6.1, linux-image-6.1.0-N-rt-amd64), 6.1-debug (the debug
# kernel, built once by scripts/build-debug-kernel.sh).
#
# Idempotent and non-interactive; when everything is already there it only
# asks dpkg-query and looks at a few stamp files (well under a second).
#
#  1. Debian packages (apt-get install, only those missing).
#  2. For each KVER (default: the newest installed linux-headers-6.1.*-amd64)
#     the linux-image-KVER .deb of the SAME version as the headers, fetched
#     with `apt-get download` into $KPM_CACHE/debs and unpacked with
#     `dpkg -x` into $KPM_CACHE/kernels/KVER. It is never installed. Its
#     vmlinuz is also decompressed to boot/vmlinux-KVER for a faster boot.
#     Headers whose package depends on the image (Debian's 6.12 ones do)
#     are not installed either: they, their -common and their linux-kbuild
#     package are unpacked the same way into $KPM_CACHE/headers.
#  3. kselftest.h and kselftest_harness.h from linux-source-6.1 into
#     $KPM_CACHE/kselftest/.
#
# --quiet prints nothing when there was nothing to do. The other scripts
# call `setup.sh --quiet` first, so a fresh machine sets itself up.
#
# Environment: KPM_CACHE (default /var/cache/kprofmap).

set -euo pipefail
. "$(dirname "$0")/common.sh"

# What the build, the VM runner, the tests, the demo and the benchmarks use.
PACKAGES=(
	build-essential linux-headers-amd64 linux-source-6.1 libelf-dev zlib1g-dev
	qemu-system-x86 busybox-static cpio kmod xz-utils zstd
	golang-go clang libclang-rt-14-dev linux-perf
	sqlite3 python3.11-minimal  # with xz-utils, linux-perf: selftests/distro/
	valgrind bpftrace lld
	pahole  # 6.12 kbuild adds BTF to modules with it
	flex bison bc libssl-dev  # scripts/build-debug-kernel.sh
	python3-docutils man-db  # make man: rst2man, man --warnings
	debhelper dh-dkms dkms lintian fakeroot  # make deb, check.sh's pkg tier
)

QUIET=0
KVERS=()
for arg in "$@"; do
	case "$arg" in
	--quiet) QUIET=1 ;;
	-h|--help) sed -n '4,22s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) kpm_die "unknown option $arg (try --help)" ;;
	*) KVERS+=("$arg") ;;
	esac
done

say() {
	echo "setup: $*"
}

# Print the packages of "$@" that are not installed.
missing_packages() {
	local -A installed=()
	local status name p
	while read -r status name; do
		[[ $status == ii ]] && installed[$name]=1
	done < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null || true)
	for p in "$@"; do
		[[ -n ${installed[$p]:-} ]] || echo "$p"
	done
}

apt_lists_present() {
	compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

# apt-get with a fresh package list when there is none, and one retry after
# `apt-get update` when the list is stale.
apt_get() {
	export DEBIAN_FRONTEND=noninteractive
	[[ $EUID -eq 0 ]] || kpm_die "must run as root to: apt-get $*"
	apt_lists_present || apt-get update -q
	apt-get -q -o APT::Sandbox::User=root "$@" && return 0
	say "apt-get $1 failed; refreshing the package lists and retrying"
	apt-get update -q
	apt-get -q -o APT::Sandbox::User=root "$@"
}

install_packages() {
	local missing
	missing=$(missing_packages "$@")
	[[ -z $missing ]] && return 0
	say "installing:" $missing
	# shellcheck disable=SC2086
	apt_get install -y --no-install-recommends $missing
}

# ---------------------------------------------------------------- headers
# Debian's 6.12 linux-headers-KVER depends on linux-image-KVER (6.1's does
# not), so installing it would install that kernel on this machine. Such
# headers are unpacked instead, with the two packages they need to build a
# module, into $KPM_CACHE/headers: the same /usr/src and /usr/lib layout,
# its relative symlinks intact; only the Makefile's absolute include of
# the -common tree is pointed at the unpacked copy.
HDR_ROOT="$KPM_CACHE/headers"

headers_stamp() {
	echo "$HDR_ROOT/.kprofmap-$1"
}

# The Debian version of linux-headers-$1, installed or unpacked.
header_version() {
	if [[ -f $(headers_stamp "$1") ]]; then
		cat "$(headers_stamp "$1")"
	else
		dpkg-query -W -f='${Version}' "linux-headers-$1"
	fi
}

headers_need_unpack() {
	apt_lists_present || apt_get update
	apt-cache depends "linux-headers-$1" 2>/dev/null | grep -q "Depends: linux-image-$1\$"
}

unpack_headers() {
	local kver=$1 pkg ver pkgs deb
	pkg=linux-headers-$kver
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	[[ -n $ver ]] || kpm_die "the archive has no $pkg (apt-cache search linux-headers-)"
	pkgs=("$pkg" $(apt-cache depends "$pkg" |
		sed -n 's/^ *|\{0,1\}Depends: \(linux-headers-[^ ]*-common\|linux-kbuild-[^ ]*\)$/\1/p' | sort -u))
	[[ ${#pkgs[@]} -eq 3 ]] ||
		kpm_die "$pkg: expected one -common and one linux-kbuild dependency, got: ${pkgs[*]:1}"
	mkdir -p "$KPM_CACHE/debs" "$HDR_ROOT"
	for pkg in "${pkgs[@]}"; do
		deb=$(ls "$KPM_CACHE/debs/${pkg}_${ver}_"*.deb 2>/dev/null | head -n 1 || true)
		if [[ -z $deb ]]; then
			say "downloading $pkg=$ver"
			(cd "$KPM_CACHE/debs" && apt_get download "$pkg=$ver") || kpm_die "cannot download $pkg=$ver"
			deb=$(ls "$KPM_CACHE/debs/${pkg}_${ver}_"*.deb)
		fi
		say "unpacking $deb into $HDR_ROOT"
		dpkg -x "$deb" "$HDR_ROOT"
	done
	sed -i "s|^include /usr/src/|include $HDR_ROOT/usr/src/|" "$HDR_ROOT/usr/src/linux-headers-$kver/Makefile"
	echo "$ver" >"$(headers_stamp "$kver")"
}

# Install the headers, or unpack them where installing would install a kernel.
provide_headers() {
	[[ -d /usr/src/linux-headers-$1 || -f $(headers_stamp "$1") ]] && return 0
	if headers_need_unpack "$1"; then
		unpack_headers "$1"
	else
		install_packages "linux-headers-$1"
	fi
}

# The newest linux-headers-6.12.*-amd64 unpacked here, else in the archive.
resolve_612() {
	local kver
	kver=$(kpm_612_kver)
	if [[ -z $kver ]]; then
		apt_lists_present || apt_get update >&2
		kver=$(apt-cache pkgnames linux-headers-6.12. |
			sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb[0-9]*-amd64\)$/\1/p' | sort -V | tail -n 1)
	fi
	[[ -n $kver ]] || kpm_die "no linux-headers-6.12.*-amd64 in the archive (apt-get update?)"
	echo "$kver"
}

# ---------------------------------------------------------------- kernels
# Fetch and unpack linux-image-$1, the same Debian version as its headers.
unpack_kernel() {
	local kver=$1 hdr_ver dir stamp deb img_ver
	hdr_ver=$(header_version "$kver")
	dir=$(kpm_kernel_dir "$kver")
	stamp="$dir/.kprofmap-version"
	if [[ -f $stamp && $(cat "$stamp") == "$hdr_ver" && -f $(kpm_vmlinuz "$kver") ]]; then
		return 0
	fi

	mkdir -p "$KPM_CACHE/debs"
	deb=$(ls "$KPM_CACHE/debs/linux-image-${kver}_${hdr_ver}_"*.deb 2>/dev/null | head -n 1 || true)
	if [[ -z $deb ]]; then
		say "downloading linux-image-$kver=$hdr_ver"
		(cd "$KPM_CACHE/debs" && apt_get download "linux-image-$kver=$hdr_ver") ||
			kpm_die "cannot download linux-image-$kver version $hdr_ver, the version of" \
				"linux-headers-$kver: the kernel image must be the same version as the" \
				"headers the module is built against (apt-cache policy linux-image-$kver" \
				"shows what the archive has)"
		deb=$(ls "$KPM_CACHE/debs/linux-image-${kver}_${hdr_ver}_"*.deb)
	fi

	img_ver=$(dpkg-deb -f "$deb" Version)
	if [[ $img_ver != "$hdr_ver" ]]; then
		kpm_die "VERSION MISMATCH: linux-image-$kver is $img_ver but linux-headers-$kver" \
			"is $hdr_ver; a module built against these headers would not match the" \
			"booted kernel. Install matching headers or remove $deb."
	fi

	say "unpacking $deb"
	rm -rf "$dir"
	mkdir -p "$dir"
	dpkg -x "$deb" "$dir"
	[[ -f $(kpm_vmlinuz "$kver") ]] || kpm_die "$deb has no boot/vmlinuz-$kver"
	extract_vmlinux "$kver"
	echo "$hdr_ver" >"$stamp"
}

# Decompress vmlinuz into an ELF vmlinux next to it. QEMU boots that
# directly through its PVH entry point, skipping the ~3 s the xz
# decompressor takes under TCG. Optional: vm-run.sh falls back to vmlinuz.
extract_vmlinux() {
	local vmlinuz vmlinux off
	vmlinuz=$(kpm_vmlinuz "$1")
	vmlinux=$(kpm_vmlinux "$1")
	# xz (Debian 6.1) or zstd (Debian 6.12) payload
	local unpack=(xz -dc)
	off=$(LC_ALL=C grep -obUa $'\xfd7zXZ' "$vmlinuz" | head -n 1 | cut -d: -f1 || true)
	if [[ -z $off ]]; then
		unpack=(zstd -dcq)
		off=$(LC_ALL=C grep -obUa $'\x28\xb5\x2f\xfd' "$vmlinuz" | head -n 1 | cut -d: -f1 || true)
	fi
	[[ -n $off ]] || { say "no xz or zstd stream in $vmlinuz; the VM will boot vmlinuz"; return 0; }
	tail -c +$((off + 1)) "$vmlinuz" | "${unpack[@]}" >"$vmlinux.tmp" 2>/dev/null || true
	if [[ $(head -c 4 "$vmlinux.tmp") == $'\x7fELF' ]]; then
		mv "$vmlinux.tmp" "$vmlinux"
	else
		rm -f "$vmlinux.tmp"
		say "could not decompress $vmlinuz; the VM will boot vmlinuz"
	fi
}

# kselftest.h and kselftest_harness.h from Debian's linux-source-6.1.
extract_kselftest() {
	local src=/usr/src/linux-source-6.1.tar.xz dst="$KPM_CACHE/kselftest" src_ver tmp
	src_ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	if [[ -f $dst/.kprofmap-version && $(cat "$dst/.kprofmap-version") == "$src_ver" ]]; then
		return 0
	fi
	say "extracting kselftest headers from $src"
	tmp=$(mktemp -d)
	tar -xJf "$src" -C "$tmp" --wildcards --strip-components=4 \
		'linux-source-6.1/tools/testing/selftests/kselftest.h' \
		'linux-source-6.1/tools/testing/selftests/kselftest_harness.h'
	mkdir -p "$dst"
	mv "$tmp"/kselftest.h "$tmp"/kselftest_harness.h "$dst/"
	rmdir "$tmp"
	echo "$src_ver" >"$dst/.kprofmap-version"
}

main() {
	local before kver debug=0 names=()
	before=$(missing_packages "${PACKAGES[@]}")

	install_packages "${PACKAGES[@]}"
	[[ ${#KVERS[@]} -gt 0 ]] || KVERS=(6.1)
	for kver in "${KVERS[@]}"; do
		case "$kver" in
		6.1) kver=$(kpm_default_kver)
			[[ -n $kver ]] || kpm_die "no /usr/src/linux-headers-6.1.*-amd64 after installing linux-headers-amd64" ;;
		6.12) kver=$(resolve_612) ;;
		6.1-rt) kver=$(kpm_rt_kver)
			[[ -n $kver ]] || kpm_die "no /usr/src/linux-headers-6.1.*-amd64 to take the RT flavour's ABI from" ;;
		"$(kpm_debug_kver)") debug=1; continue ;;
		esac
		names+=("$kver")
	done
	KVERS=("${names[@]}")
	for kver in "${KVERS[@]}"; do
		provide_headers "$kver"
	done

	local changed=0
	[[ -n $before ]] && changed=1
	for kver in "${KVERS[@]}"; do
		[[ -f $(kpm_kernel_dir "$kver")/.kprofmap-version ]] || changed=1
		unpack_kernel "$kver"
	done
	if [[ $debug -eq 1 ]]; then
		[[ -f $(kpm_kernel_dir "$(kpm_debug_kver)")/.kprofmap-done ]] || changed=1
		"$KPM_TOP/scripts/build-debug-kernel.sh" --quiet
	fi
	[[ -f $KPM_CACHE/kselftest/.kprofmap-version ]] || changed=1
	extract_kselftest

	[[ $QUIET -eq 1 && $changed -eq 0 ]] && return 0
	for kver in "${KVERS[@]}"; do
		say "headers  $(kpm_kdir "$kver") ($(header_version "$kver"))"
		say "kernel   $(kpm_vmlinuz "$kver") ($(cat "$(kpm_kernel_dir "$kver")/.kprofmap-version"), same as headers)"
		[[ -f $(kpm_vmlinux "$kver") ]] && say "vmlinux  $(kpm_vmlinux "$kver") (booted by vm-run.sh)"
	done
	say "kselftest $KPM_CACHE/kselftest/{kselftest.h,kselftest_harness.h}"
	say "all set"
}

main
