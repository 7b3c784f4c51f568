#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# 95-signing.sh - module signatures enforced from boot (module.sig_enforce=1,
# as on a Secure Boot machine, where the lockdown does the same): only a
# kprofmap.ko signed with a key the kernel trusts loads.
#
# scripts/build-module.sh makes the signed copies in /kpm/signed/:
# kprofmap-untrusted.ko (a key no kernel trusts) on every kernel, and on
# the debug kernel, whose build key is built into its trusted keyring,
# kprofmap-trusted.ko (that key) and kprofmap-tampered.ko (one byte
# changed after signing). Debian's kernels trust only Debian's key, which
# is not public: there the signed module's load is skipped, said so, and
# the refusals are still tested. A kernel without module signatures fails
# this test: every kernel of the matrix has CONFIG_MODULE_SIG.
# kpm-vm: sig
. "$(dirname "$0")/../lib/kpm.sh"
kpm_require_root
kpm_require_module
ktap_header
ktap_plan 8

SIGNED=/kpm/signed
ENFORCE=/sys/module/module/parameters/sig_enforce

# refused KO WHY: insmod KO fails, nothing is loaded, and the kernel log
# says the signature check refused it (WHY: its words, or "" for a failed
# verification, which the kernel does not log).
refused() {
	kpm_dmesg_mark "insmod $1"
	if insmod "$1" 2>/tmp/insmod.err; then
		echo "insmod $1 succeeded"
		rmmod kprofmap
		return 1
	fi
	sed 's/^/insmod: /' /tmp/insmod.err
	grep -q "Key was rejected by service" /tmp/insmod.err ||
		{ echo "not refused for its key (EKEYREJECTED)"; return 1; }
	[ ! -e /proc/kprofmap ] || { echo "/proc/kprofmap exists"; return 1; }
	[ -z "$2" ] && return 0
	kpm_dmesg_since_mark | grep -q "Loading of $2 is rejected" ||
		{ echo "no 'Loading of $2 is rejected' in the kernel log"; return 1; }
}

# loads_and_samples KO: KO loads, samples a workload, unloads.
loads_and_samples() {
	kpm_dmesg_mark "insmod $1"
	insmod "$1" || return 1
	/kpm/selftests/workloads/kpm_chain 0.5 >/dev/null
	n=$(grep -c '^S ' /proc/kprofmap/samples)
	echo "$n records"
	kpm_unload || return 1
	[ "$n" -gt 0 ]
}

ktap_result "module signatures are enforced (sig_enforce is Y)" \
	sh -c "[ \"\$(cat $ENFORCE 2>/dev/null)\" = Y ] || { echo \"$ENFORCE: \$(cat $ENFORCE 2>&1)\"; exit 1; }"
ktap_result "the unsigned kprofmap.ko is refused" refused "$KPM_KO" "unsigned module"
ktap_result "kprofmap.ko signed with an untrusted key is refused" \
	refused $SIGNED/kprofmap-untrusted.ko "module with unavailable key"

if [ -f $SIGNED/kprofmap-trusted.ko ]; then
	ktap_result "kprofmap.ko signed with the kernel's trusted test key loads and samples" \
		loads_and_samples $SIGNED/kprofmap-trusted.ko
	ktap_result "the signed module, one byte changed, is refused" \
		refused $SIGNED/kprofmap-tampered.ko ""
	ktap_result "the signed module loads again after the refusals" \
		loads_and_samples $SIGNED/kprofmap-trusted.ko
else
	case "$(uname -r)" in
	*-kpm-debug) ktap_bail "no $SIGNED/kprofmap-trusted.ko for the debug kernel (build-module.sh signs it)" ;;
	esac
	why="no trusted key: $(uname -r) trusts only its distributor's key"
	ktap_skip "kprofmap.ko signed with the kernel's trusted test key loads and samples" "$why"
	ktap_skip "the signed module, one byte changed, is refused" "$why"
	ktap_skip "the signed module loads again after the refusals" "$why"
fi
ktap_result "nothing of kprofmap is left loaded" \
	sh -c '! grep -q "^kprofmap " /proc/modules'
kpm_check_dmesg "kernel log clean"
ktap_finished
