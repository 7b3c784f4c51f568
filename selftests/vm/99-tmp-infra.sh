#!/bin/sh
. ../lib/kpm.sh
kpm_require_root
kpm_require_module
ktap_header
ktap_plan 3
kpm_load freq=999 || ktap_bail "insmod failed"
ktap_result "samples readable" head -n 1 /proc/kprofmap/samples
ktap_skip "some feature" "not there"
kpm_unload_check "unload, kernel log clean"
ktap_finished
