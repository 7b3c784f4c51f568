#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh - build kprofmap.ko for one kernel of the test matrix,
# in its own tree, with W=1, and fail on any warning.
#
#   scripts/build-module.sh [--quiet] [KVER]
#
# KVER: a release or a short name (6.1, 6.12, 6.1-debug; default 6.1), as
# scripts/setup.sh takes; setup.sh --quiet KVER runs first.
#
# kbuild writes objects next to the sources, and a 6.1 and a 6.12 build
# of one tree would overwrite each other. So the sources (Kbuild and
# module/, mtimes kept, so make rebuilds only what changed) are copied to
# build/RELEASE/ and built there:
#
#   build/RELEASE/module/kprofmap.ko     the module for that kernel
#   build/RELEASE/build.log              the kbuild output
#   build/RELEASE/signed/                copies for the signature test
#                                        (selftests/vm/95-signing.sh):
#     kprofmap-untrusted.ko  signed with a key made here, which no kernel
#                            trusts (untrusted.pem, made once)
#     kprofmap-trusted.ko    signed with the kernel's own build key, when
#                            the tree has one (the debug kernel's
#                            certs/signing_key.pem, built into its
#                            trusted keyring; Debian's key is not public)
#     kprofmap-tampered.ko   kprofmap-trusted.ko with one byte changed
#
# scripts/vm-run.sh --kver RELEASE boots with that .ko. A compiler warning,
# a modpost warning (undefined symbol, section mismatch) or a failed build
# fails this script and prints the log. The release is printed last.
#
# Environment: KPM_CACHE (see common.sh).

set -euo pipefail
. "$(dirname "$0")/common.sh"

QUIET=0
KVER=
for arg in "$@"; do
	case "$arg" in
	--quiet) QUIET=1 ;;
	-h|--help) sed -n '4,23s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) kpm_die "unknown option $arg (try --help)" ;;
	*) KVER=$arg ;;
	esac
done
KVER=${KVER:-6.1}

"$KPM_TOP/scripts/setup.sh" --quiet "$KVER" >&2
KVER=$(kpm_resolve_kver "$KVER")
KDIR=$(kpm_kdir "$KVER")
[[ -f $KDIR/Makefile ]] || kpm_die "no kernel tree for $KVER at $KDIR"

OUT="$KPM_TOP/build/$KVER"
mkdir -p "$OUT/module"
cp -p "$KPM_TOP/Kbuild" "$OUT/"
# The sources only: not the *.mod.c a top-level `make` generated for
# another kernel (its symbol CRCs would go into this build's module).
srcs=()
for f in "$KPM_TOP"/module/*.[ch]; do
	[[ $f == *.mod.c ]] || srcs+=("$f")
done
rm -f "$OUT"/module/*.mod.c
cp -p "$KPM_TOP"/module/Kbuild "${srcs[@]}" "$OUT/module/"

LOG="$OUT/build.log"
if ! make -C "$KDIR" M="$OUT" W=1 modules >"$LOG" 2>&1; then
	cat "$LOG" >&2
	kpm_die "kprofmap.ko does not build against $KDIR (log: $LOG)"
fi
if grep -qiE '(^|: )warning:|^WARNING:' "$LOG"; then
	cat "$LOG" >&2
	kpm_die "kprofmap.ko builds with warnings against $KDIR (log: $LOG)"
fi

# sign KEY CERT SRC DST: DST is SRC with a module signature by KEY.
sign() {
	cp "$3" "$4"
	"$KDIR/scripts/sign-file" sha256 "$1" "$2" "$4" ||
		kpm_die "$KDIR/scripts/sign-file could not sign $4"
}

SIGNED="$OUT/signed"
mkdir -p "$SIGNED"
rm -f "$SIGNED"/*.ko
[[ -x $KDIR/scripts/sign-file ]] || kpm_die "no $KDIR/scripts/sign-file (the kernel's linux-kbuild package?)"
if [[ ! -f $SIGNED/untrusted.pem ]]; then
	openssl req -new -nodes -utf8 -sha256 -days 36500 -batch -x509 \
		-subj "/CN=kprofmap untrusted test key/" -newkey rsa:2048 \
		-keyout "$SIGNED/untrusted.pem.tmp" -out "$SIGNED/untrusted.pem.tmp" \
		>/dev/null 2>&1 || kpm_die "openssl could not make a test key"
	mv "$SIGNED/untrusted.pem.tmp" "$SIGNED/untrusted.pem"
fi
sign "$SIGNED/untrusted.pem" "$SIGNED/untrusted.pem" "$OUT/module/kprofmap.ko" \
	"$SIGNED/kprofmap-untrusted.ko"
if [[ -f $KDIR/certs/signing_key.pem && -f $KDIR/certs/signing_key.x509 ]]; then
	sign "$KDIR/certs/signing_key.pem" "$KDIR/certs/signing_key.x509" \
		"$OUT/module/kprofmap.ko" "$SIGNED/kprofmap-trusted.ko"
	# One byte of the module's body changed after signing (the ELF
	# header's e_ident padding: the ELF stays valid).
	cp "$SIGNED/kprofmap-trusted.ko" "$SIGNED/kprofmap-tampered.ko"
	printf '\x5a' | dd of="$SIGNED/kprofmap-tampered.ko" bs=1 seek=10 conv=notrunc status=none
fi

[[ $QUIET -eq 1 ]] || echo "build-module: $OUT/module/kprofmap.ko ($KDIR, W=1, no warnings)" >&2
echo "$KVER"
