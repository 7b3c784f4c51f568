#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tailcall.sh - host check of a built kprofmap.ko: the task_work callback
# uwind_run() drops its module reference with a tail call, so that no
# instruction of the module runs after module_put() (which may let rmmod
# free the module's text).
#
#   sh selftests/unwind/tailcall.sh KO
#
# Passes when uwind_run's last instruction before its padding is a jmp
# relocated to module_put, no other instruction of it references
# module_put, and it contains no ret.
. "$(dirname "$0")/../lib/kpm.sh"

KO=$1
ktap_header
ktap_plan 1
[ -f "$KO" ] || ktap_bail "no module $KO"

# uwind_run's instructions and relocations, padding (nop, int3) dropped.
body() {
	objdump -dr --no-show-raw-insn "$KO" |
		awk '/^[0-9a-f]+ <uwind_run>:/ { on = 1; next } on && /^$/ { exit } on' |
		grep -vE '^[[:space:]]+[0-9a-f]+:[[:space:]]+((data16|cs) +)*(nop|int3|xchg +%ax,%ax)'
}

tail_call() {
	b=$(body)
	[ -n "$b" ] || { echo "uwind_run not found"; return 1; }
	echo "$b"
	last=$(echo "$b" | tail -n 2)
	echo "$last" | head -n 1 | grep -qE '[[:space:]]jmp[[:space:]]' || return 1
	echo "$last" | tail -n 1 | grep -qE 'R_X86_64_(PLT32|PC32)[[:space:]]+module_put' || return 1
	[ "$(echo "$b" | grep -c 'module_put')" -eq 1 ] || return 1
	! echo "$b" | grep -qE '[[:space:]]ret'
}
ktap_result "uwind_run ends in a tail call to module_put ($(basename "$(dirname "$(dirname "$KO")")"))" tail_call
ktap_finished
