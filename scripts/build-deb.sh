#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-deb.sh - `make deb`: build the Debian packages kprofmap-dkms and
# kprof2pprof with dpkg-buildpackage -us -uc -b.
#
#   scripts/build-deb.sh
#
# The build runs in a copy of the checkout's files (tracked, and untracked
# but not ignored: what a clean clone plus your changes holds) in
# build/deb/kprofmap-VERSION/, so it neither cleans nor reuses the
# checkout's own build products. The packages, the .changes and the
# .buildinfo land in build/deb/, the build log in build/deb/build.log.
# The .deb files are printed last, one a line.
#
# Needs the Build-Depends of debian/control (scripts/setup.sh installs
# them) and a git checkout.

set -euo pipefail
. "$(dirname "$0")/common.sh"

OUT="$KPM_TOP/build/deb"

main() {
	local version src
	version=$(cat "$KPM_TOP/VERSION")
	git -C "$KPM_TOP" rev-parse --git-dir >/dev/null 2>&1 ||
		kpm_die "$KPM_TOP is not a git checkout (the package is built from its files)"
	rm -rf "$OUT"
	src="$OUT/kprofmap-$version"
	mkdir -p "$src"
	(cd "$KPM_TOP" && git ls-files -z -co --exclude-standard |
		xargs -0 -r cp -P --parents -t "$src") || kpm_die "cannot copy the checkout into $src"

	echo "build-deb: dpkg-buildpackage -us -uc -b in $src (log: $OUT/build.log)" >&2
	if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1; then
		tail -n 40 "$OUT/build.log" >&2
		kpm_die "dpkg-buildpackage failed (log: $OUT/build.log)"
	fi
	ls "$OUT"/kprofmap-dkms_"$version"_all.deb "$OUT"/kprof2pprof_"$version"_*.deb
}

main
