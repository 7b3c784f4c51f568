/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench_counter.h - the CPU's retired-instruction counter, user mode only,
 * for this thread (perf_event_open). Kept apart from profmap_bench.c,
 * which compiles against the shim's linux/ headers instead of the
 * system's.
 */
#ifndef _KPM_BENCH_COUNTER_H
#define _KPM_BENCH_COUNTER_H

#include <stdbool.h>

/* Open the counter; false when the machine has none (or never counts). */
bool bench_counter_open(void);
/* Zero and start it. */
void bench_counter_start(void);
/* Stop it; instructions since bench_counter_start(), or -1 on error. */
long long bench_counter_stop(void);

#endif /* _KPM_BENCH_COUNTER_H */
