#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# start-addrs.sh PROGRAM... - print where a stack of each PROGRAM (dynamic,
# glibc, all with the same libc and ld.so) begins, as file offsets (hex) in
# the libc and the ld.so that ldd resolves for them, which vm-run.sh
# stages, and in the program:
#
#   main LIBC MD5 RET      RET: the return address in libc's
#                          __libc_start_call_main after its call into main
#   ldso LDSO MD5 LO HI    [LO, HI): ld.so's _start and _dl_start_user, the
#                          outermost frame of every stack taken before the
#                          program's own entry point (loading, relocation,
#                          the libraries' constructors)
#   start NAME MD5 LO RET  [LO, RET]: the program's _start (its ELF entry
#                          point, LO) up to the return address of its call
#                          into __libc_start_main (RET), the outermost
#                          frame of every stack taken after the entry
#                          point; NAME is PROGRAM's base name
#
# Debian's libc and ld.so are stripped. __libc_start_call_main, a local
# symbol, is known by its shape, `result = main (argc, argv, environ);
# exit (result);`: the one `call *%rax` before __libc_start_main followed
# within two instructions by a call to exit. ld.so's _start is its ELF
# entry point; _dl_start_user follows it and ends with `jmp *%r12` into
# the program. A program's _start is its entry point; its first call is
# the one into __libc_start_main, which does not return. objdump gives
# virtual addresses; the PT_LOAD that holds one turns it into a file
# offset.
set -eu

die() {
	echo "start-addrs.sh: $*" >&2
	exit 1
}

# file_off FILE VADDR: VADDR (a number) as a file offset (hex).
file_off() {
	# shellcheck disable=SC2034
	readelf -lW "$1" | while read -r type o v p fsz rest; do
		[ "$type" = LOAD ] || continue
		if [ "$2" -ge $((v)) ] && [ "$2" -lt $((v + fsz)) ]; then
			printf '0x%x\n' $(($2 - v + o))
			exit 0
		fi
	done
}

lib() {
	ldd "$1" | awk -v n="$2" '$1 == n { print $3 } $1 ~ "/" n "$" { print $1 }'
}

md5() {
	md5sum <"$1" | cut -d' ' -f1
}

[ $# -ge 1 ] || die "usage: start-addrs.sh PROGRAM..."
libc=$(lib "$1" libc.so.6)
ldso=$(lib "$1" ld-linux-x86-64.so.2)
[ -f "$libc" ] && [ -f "$ldso" ] || die "$1: no libc.so.6 or ld-linux-x86-64.so.2 in ldd's list"
for p in "$@"; do
	[ "$(lib "$p" libc.so.6)" = "$libc" ] && [ "$(lib "$p" ld-linux-x86-64.so.2)" = "$ldso" ] ||
		die "$p: not the libc and ld.so of $1"
done
progs="$*"

ret=$(objdump -d --no-show-raw-insn "$libc" | awk '
	/^[0-9a-f]+ <__libc_start_main@@/ { exit }
	/^ *[0-9a-f]+:\t/ {
		addr = $1
		sub(":", "", addr)
		if (ret != "") {
			if (/\tcall +[0-9a-f]+ <exit@@/) {
				hits = hits " " ret
				ret = ""
			} else if (++k >= 2) {
				ret = ""
			}
		}
		if (callrax) {
			ret = addr
			k = 0
		}
		callrax = /\tcall +\*%rax$/
	}
	END { print hits }')
# shellcheck disable=SC2086
set -- $ret
[ $# -eq 1 ] || die "$libc: $# call-into-main sites, not 1: $ret"
ret=$(file_off "$libc" $((0x$1)))
[ -n "$ret" ] || die "$libc: 0x$1 is in no PT_LOAD"

entry=$(readelf -hW "$ldso" | awk '/Entry point address:/ { print $4 }')
next=$(objdump -d --no-show-raw-insn --start-address=$((entry)) \
	--stop-address=$((entry + 256)) "$ldso" |
	awk '/^ *[0-9a-f]+:\t/ && jmp { sub(":", "", $1); print $1; exit }
	     /^ *[0-9a-f]+:\t(notrack )?jmp +\*%r/ { jmp = 1 }')
[ -n "$next" ] || die "$ldso: no indirect jmp within 256 bytes of its entry $entry"
lo=$(file_off "$ldso" $((entry)))
# The instruction after that jmp: HI, one past _dl_start_user.
hi=$(file_off "$ldso" $((0x$next)))
[ -n "$lo" ] && [ -n "$hi" ] || die "$ldso: $entry or 0x$next is in no PT_LOAD"

echo "main $libc $(md5 "$libc") $ret"
echo "ldso $ldso $(md5 "$ldso") $lo $hi"

for p in $progs; do
	entry=$(readelf -hW "$p" | awk '/Entry point address:/ { print $4 }')
	# The address of the instruction after the first call from the entry.
	after=$(objdump -d --no-show-raw-insn --start-address=$((entry)) \
		--stop-address=$((entry + 256)) "$p" |
		awk '/^ *[0-9a-f]+:\t/ && call { sub(":", "", $1); print $1; exit }
		     /^ *[0-9a-f]+:\t(notrack )?call / { call = 1 }')
	[ -n "$after" ] || die "$p: no call within 256 bytes of its entry $entry"
	lo=$(file_off "$p" $((entry)))
	ret=$(file_off "$p" $((0x$after)))
	[ -n "$lo" ] && [ -n "$ret" ] || die "$p: $entry or 0x$after is in no PT_LOAD"
	echo "start $(basename "$p") $(md5 "$p") $lo $ret"
done
