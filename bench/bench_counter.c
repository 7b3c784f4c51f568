// SPDX-License-Identifier: GPL-2.0
/* bench_counter.c - see bench_counter.h */
#include <linux/perf_event.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_counter.h"

static int counter_fd = -1;

bool bench_counter_open(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_HW_INSTRUCTIONS,
		.disabled = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};

	counter_fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (counter_fd < 0)
		return false;
	/* Some hypervisors accept the event and never count. */
	bench_counter_start();
	if (bench_counter_stop() <= 0) {
		close(counter_fd);
		counter_fd = -1;
		return false;
	}
	return true;
}

void bench_counter_start(void)
{
	ioctl(counter_fd, PERF_EVENT_IOC_RESET, 0);
	ioctl(counter_fd, PERF_EVENT_IOC_ENABLE, 0);
}

long long bench_counter_stop(void)
{
	uint64_t v;

	ioctl(counter_fd, PERF_EVENT_IOC_DISABLE, 0);
	if (read(counter_fd, &v, sizeof(v)) != sizeof(v))
		return -1;
	return (long long)v;
}
