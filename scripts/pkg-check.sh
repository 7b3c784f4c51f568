#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pkg-check.sh - the pkg tier of make check: kprofmap installed like a real
# kernel module, from its Debian packages, on this machine. Prints TAP;
# exit 1 on failure. Runs as root: it installs and purges kprofmap-dkms and
# kprof2pprof (an earlier run's are purged first, and what an interrupted
# run left beyond DKMS's reach is deleted).
#
#   scripts/pkg-check.sh
#
#  1. The tools it needs are installed (a missing one fails, never skips).
#  2. make deb builds both packages; lintian reports no error and no
#     warning on them, and does report the missing man page of a copy of
#     kprof2pprof without it (the lintian check can fail).
#  3. apt-get installs them; the installed kprof2pprof --version, both
#     package versions and `dkms status` all say VERSION.
#  4. dkms build --force --kernelsourcedir KDIR for each kernel of KVERS
#     (6.1-debug aside: its signed-module test is separate): the module's
#     vermagic names the release, its make.log has no warning.
#  5. Both man pages are where man finds them and render with
#     MANWIDTH=80 man --warnings without a word on stderr.
#  6. dkms install for 6.1, then scripts/e2e.sh profiles in the VM with that
#     /lib/modules/RELEASE/updates/dkms/kprofmap.ko and converts with the
#     installed /usr/bin/kprof2pprof (its results relayed).
#  7. dpkg --purge removes both, and nothing of theirs is left: no file
#     dpkg -L listed, no /usr/src/kprofmap-*, /var/lib/dkms/kprofmap or
#     /lib/modules/*/updates/dkms/kprofmap.ko*.
#
# Environment: KVERS (or KVER) as check.sh. Logs in build/pkg/.

set -uo pipefail
. "$(dirname "$0")/common.sh"
. "$KPM_TOP/selftests/lib/kpm.sh"

LOGS="$KPM_TOP/build/pkg"
DEBS="$KPM_TOP/build/deb"
PACKAGES=(kprofmap-dkms kprof2pprof)
TOOLS=(dpkg-buildpackage dh dh_dkms dkms lintian rst2man man fakeroot apt-get
	go qemu-system-x86_64)
VERSION=
# Same regex as build-module.sh: compiler and modpost warnings.
WARNING_RE='(^|: )warning:|^WARNING:'

missing_tools() {
	local t
	for t in "${TOOLS[@]}"; do
		command -v "$t" >/dev/null || echo "$t"
	done
}

# The kernels to build for: KVERS as check.sh takes it, but 6.1-debug.
kernels() {
	local k
	for k in ${KVERS:-${KVER:-6.1 6.12 6.1-rt 6.1-debug}}; do
		[[ $k == "$(kpm_debug_kver)" ]] || echo "$k"
	done
}

# What DKMS adds for kprofmap outside dpkg's file lists.
dkms_footprint() {
	ls -d /usr/src/kprofmap-* /var/lib/dkms/kprofmap \
		/lib/modules/*/updates/dkms/kprofmap.ko* 2>/dev/null
	return 0
}

nothing_installed() {
	local left status
	left=$(dkms_footprint)
	[[ -z $left ]] || { echo "left by an earlier install: $left"; return 1; }
	# "un"/"pn": not installed; anything else ("ii", "rc", half-installed) is.
	status=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PACKAGES[@]}" 2>/dev/null)
	! grep -E '^.[^n]' <<<"$status"
}

lintian_clean() {
	local out rc=0
	out=$(lintian --fail-on error,warning "$DEBS"/kprofmap_"$VERSION"_*.changes 2>&1) || rc=$?
	# lintian warns on stderr that it runs as root: not a finding.
	out=$(grep -v 'running with root privileges is not recommended' <<<"$out")
	echo "$out"
	[[ $rc -eq 0 ]] && ! grep -qE '^[EW]: ' <<<"$out"
}

# The lintian check can fail: kprof2pprof without its man page is flagged.
lintian_flags_broken() {
	local dir="$LOGS/broken" out
	rm -rf "$dir"
	mkdir -p "$dir"
	dpkg-deb -R "$DEBS"/kprof2pprof_"$VERSION"_*.deb "$dir/root" || return 1
	rm "$dir"/root/usr/share/man/man1/kprof2pprof.1.gz
	sed -i '/man1\/kprof2pprof\.1\.gz/d' "$dir/root/DEBIAN/md5sums"
	dpkg-deb -b "$dir/root" "$dir/kprof2pprof.deb" >/dev/null || return 1
	out=$(lintian "$dir/kprof2pprof.deb" 2>/dev/null)
	echo "$out"
	grep -q '^W: kprof2pprof: no-manual-page' <<<"$out"
}

install_packages() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o APT::Sandbox::User=root \
		"$DEBS"/kprofmap-dkms_"$VERSION"_all.deb "$DEBS"/kprof2pprof_"$VERSION"_*.deb \
		>"$LOGS/install.log" 2>&1 || { tail -n 30 "$LOGS/install.log"; return 1; }
}

versions_agree() {
	local p v ok=0
	/usr/bin/kprof2pprof --version
	/usr/bin/kprof2pprof --version | grep -q "^kprof2pprof $VERSION " || ok=1
	for p in "${PACKAGES[@]}"; do
		v=$(dpkg-query -W -f='${Version}' "$p")
		echo "$p $v"
		[[ $v == "$VERSION" ]] || ok=1
	done
	dkms status -m kprofmap
	[[ -n $(dkms status -m kprofmap -v "$VERSION") ]] || ok=1
	return $ok
}

# dkms_build K: DKMS builds kprofmap for kernel K (short name or release)
# against its headers wherever they are, without compiler warnings.
dkms_build() {
	local rel kdir dir ko vermagic
	rel=$(kpm_resolve_kver "$1")
	kdir=$(kpm_kdir "$rel")
	[[ -n $rel && -f $kdir/Makefile ]] || { echo "no headers for $1 ($kdir)"; return 1; }
	echo "dkms build -k $rel --kernelsourcedir $kdir"
	if ! dkms build --force -m kprofmap -v "$VERSION" -k "$rel" --kernelsourcedir "$kdir" \
		>"$LOGS/dkms-$rel.log" 2>&1; then
		tail -n 30 "$LOGS/dkms-$rel.log" /var/lib/dkms/kprofmap/"$VERSION"/build/make.log
		return 1
	fi
	dir=/var/lib/dkms/kprofmap/$VERSION/$rel/$(uname -m)
	ko=$(ls "$dir"/module/kprofmap.ko* 2>/dev/null | head -n 1)
	[[ -n $ko ]] || { echo "no kprofmap.ko in $dir/module"; return 1; }
	vermagic=$(modinfo -F vermagic "$ko")
	echo "$ko: vermagic $vermagic"
	[[ $vermagic == "$rel "* ]] || return 1
	! grep -E "$WARNING_RE" "$dir/log/make.log"
}

# dkms_install REL: the module DKMS built for REL is installed where
# modprobe looks.
dkms_install() {
	local ko=/lib/modules/$1/updates/dkms/kprofmap.ko
	dkms install --force -m kprofmap -v "$VERSION" -k "$1" >"$LOGS/install-$1.log" 2>&1 ||
		{ tail -n 30 "$LOGS/install-$1.log"; return 1; }
	[[ -f $ko ]] || { echo "no $ko"; return 1; }
	echo "$ko: vermagic $(modinfo -F vermagic "$ko"), signer $(modinfo -F signer "$ko")"
	[[ $(modinfo -F vermagic "$ko") == "$1 "* ]]
}

# man_renders NAME SECTION: man finds the installed page, and renders it
# at 80 columns with warnings on and nothing on stderr.
man_renders() {
	local page err
	page=$(man -w "$2" "$1") || return 1
	echo "$page"
	[[ $page == /usr/share/man/man$2/$1.$2.gz ]] || return 1
	err=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >"$LOGS/$1.$2.txt")
	[[ -z $err ]] || { echo "$err"; return 1; }
	grep -q "^NAME" "$LOGS/$1.$2.txt"
}

# The e2e checks, on the installed module and tool; relayed as our own.
e2e_installed() {
	local rel=$1
	KVER=$rel "$KPM_TOP/scripts/e2e.sh" --module "/lib/modules/$rel/updates/dkms/kprofmap.ko" \
		--kprof2pprof /usr/bin/kprof2pprof --out "$LOGS/e2e" >"$LOGS/e2e.log" 2>&1
	ktap_relay "$LOGS/e2e.log"
}

# Purge an earlier run's packages. A run killed inside `dkms build` can
# leave files DKMS no longer knows (a module installed for a kernel whose
# build it had just removed), which no purge removes: remove them.
clean_earlier() {
	local left path rel
	purge >/dev/null
	left=$(dkms_footprint)
	[[ -n $left ]] || return 0
	ktap_diag "removing what an interrupted earlier run left:" $left
	for path in $left; do
		rm -rf "$path"
		[[ $path == /lib/modules/*/updates/dkms/* ]] || continue
		rmdir --ignore-fail-on-non-empty "${path%/*}" "${path%/dkms/*}"
		rel=${path#/lib/modules/}
		depmod "${rel%%/*}" 2>/dev/null || true
	done
}

purge() {
	dpkg --purge "${PACKAGES[@]}" >"$LOGS/purge.log" 2>&1 || { tail -n 30 "$LOGS/purge.log"; return 1; }
}

# nothing_left LIST: no file of LIST (dpkg -L of both packages, "f PATH"
# or "d PATH") is left, nor a directory no other package owns, nor any of
# DKMS's kprofmap files.
nothing_left() {
	local type path left=0
	while read -r type path; do
		[[ -e $path || -L $path ]] || continue
		if [[ $type == d ]] && dpkg-query -S "$path" >/dev/null 2>&1; then
			continue
		fi
		echo "left: $path"
		left=1
	done <"$1"
	dkms_footprint | sed 's/^/left: /' | grep . && left=1
	return $left
}

# Record what dpkg installed: "f PATH" or "d PATH" a line.
list_files() {
	local path
	dpkg-query -L "${PACKAGES[@]}" | while IFS= read -r path; do
		[[ $path == /. ]] && continue
		if [[ -d $path && ! -L $path ]]; then
			echo "d $path"
		else
			echo "f $path"
		fi
	done
}

main() {
	local k kernels=() e2e_plan rel61
	ktap_header
	[[ $EUID -eq 0 ]] || ktap_bail "must run as root (installs and purges packages)"
	mapfile -t kernels < <(kernels)
	e2e_plan=$(sed -n 's/^[[:space:]]*ktap_plan \([0-9]\+\)$/\1/p' "$KPM_TOP/scripts/e2e.sh")
	[[ -n $e2e_plan ]] || ktap_bail "cannot read scripts/e2e.sh's plan"
	ktap_plan $((12 + ${#kernels[@]} + e2e_plan))
	VERSION=$(cat "$KPM_TOP/VERSION")
	rm -rf "$LOGS"
	mkdir -p "$LOGS"

	local missing
	missing=$(missing_tools)
	if [[ -z $missing ]]; then
		ktap_pass "tools: ${TOOLS[*]}"
	else
		ktap_fail "tools: missing ${missing//$'\n'/ }"
		ktap_bail "missing tools (scripts/setup.sh installs them): $missing"
	fi
	"$KPM_TOP/scripts/setup.sh" --quiet "${kernels[@]}" || ktap_bail "scripts/setup.sh ${kernels[*]} failed"
	rel61=$(kpm_default_kver)

	if "$KPM_TOP/scripts/build-deb.sh" >"$LOGS/build-deb.log" 2>&1; then
		ktap_pass "make deb builds kprofmap-dkms and kprof2pprof $VERSION"
	else
		tail -n 30 "$LOGS/build-deb.log" | sed 's/^/# /'
		ktap_fail "make deb builds kprofmap-dkms and kprof2pprof $VERSION"
		ktap_bail "no packages to check"
	fi
	ktap_result "lintian: no errors, no warnings" lintian_clean
	ktap_result "lintian flags a kprof2pprof without its man page" lintian_flags_broken

	clean_earlier
	ktap_result "no kprofmap package or DKMS file before installing" nothing_installed
	if install_packages; then
		ktap_pass "apt-get install ./kprofmap-dkms_*.deb ./kprof2pprof_*.deb"
	else
		ktap_fail "apt-get install ./kprofmap-dkms_*.deb ./kprof2pprof_*.deb"
		purge >/dev/null
		ktap_bail "the packages do not install (log: $LOGS/install.log)"
	fi
	list_files >"$LOGS/files.list"
	ktap_result "kprof2pprof --version, the packages and dkms status say $VERSION" versions_agree
	for k in "${kernels[@]}"; do
		ktap_result "dkms build for $k: vermagic names it, no compiler warnings" dkms_build "$k"
	done
	ktap_result "man kprof2pprof: installed, renders at 80 columns without warnings" \
		man_renders kprof2pprof 1
	ktap_result "man 4 kprofmap: installed, renders at 80 columns without warnings" \
		man_renders kprofmap 4
	ktap_result "dkms install for $rel61: kprofmap.ko in /lib/modules/$rel61/updates/dkms" \
		dkms_install "$rel61"
	e2e_installed "$rel61"

	ktap_result "dpkg --purge kprofmap-dkms kprof2pprof" purge
	ktap_result "nothing of either package is left (dpkg -L, DKMS tree, /usr/src, /lib/modules)" \
		nothing_left "$LOGS/files.list"
	ktap_finished
}

main "$@"
