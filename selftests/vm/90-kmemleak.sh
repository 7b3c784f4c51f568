#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 90-kmemleak.sh - after every other VM test has loaded, exercised and
# unloaded kprofmap, a kmemleak scan reports no leak. Runs last (by name).
# Needs CONFIG_DEBUG_KMEMLEAK: skipped on other kernels, never on the debug
# kernel (scripts/build-debug-kernel.sh), whose automatic scan is off so
# that this scan is the one that counts.
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root

kpm_require_kernel /sys/kernel/debug/kmemleak CONFIG_DEBUG_KMEMLEAK
ktap_header
ktap_plan 2

if kpm_loaded; then
	kpm_dmesg_mark "unload left over by an earlier test"
	kpm_unload_check "kprofmap unloaded, log clean"
else
	ktap_pass "kprofmap unloaded, log clean"
fi

kpm_kmemleak_check "kmemleak scan after unload: no leak"
ktap_finished
