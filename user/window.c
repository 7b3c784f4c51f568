// SPDX-License-Identifier: GPL-2.0
/*
 * window.c - follow's interval, window file names and rotation (see
 * window.h)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "window.h"

/* --- --interval --- */

static const struct {
	const char *suffix;
	uint64_t ns;
} kp_interval_units[] = {
	{ "ms", 1000000ULL },
	{ "s", 1000000000ULL },
	{ "m", 60 * 1000000000ULL },
	{ "h", 3600 * 1000000000ULL },
	{ "", 1000000000ULL },		/* plain seconds */
};

/* Digits at @s, at most @max of them, as a number; @n is their count. */
static uint64_t kp_digits(const char *s, size_t max, size_t *n)
{
	uint64_t v = 0;

	for (*n = 0; *n < max && s[*n] >= '0' && s[*n] <= '9'; (*n)++)
		v = v * 10 + (uint64_t)(s[*n] - '0');
	return v;
}

bool kp_parse_interval(const char *s, uint64_t *ns)
{
	uint64_t whole, frac = 0, scale = 1, unit = 0, v;
	size_t nw, nf = 0, i;
	const char *p;

	whole = kp_digits(s, 12, &nw);
	p = s + nw;
	if (nw == 0 || (*p >= '0' && *p <= '9'))
		return false;
	if (*p == '.') {
		frac = kp_digits(p + 1, 9, &nf);
		if (nf == 0 || (p[1 + nf] >= '0' && p[1 + nf] <= '9'))
			return false;
		p += 1 + nf;
	}
	for (i = 0; i < KP_ARRAY_SIZE(kp_interval_units); i++)
		if (!strcmp(p, kp_interval_units[i].suffix)) {
			unit = kp_interval_units[i].ns;
			break;
		}
	if (!unit || whole > KP_INTERVAL_MAX_NS / unit)
		return false;
	for (i = 0; i < nf; i++)
		scale *= 10;
	/* frac < scale: frac * (unit / scale) < unit; only ms (1e6) may not
	 * divide by scale, and then frac * unit < 1e9 * 1e6 */
	v = whole * unit + (unit % scale == 0 ? frac * (unit / scale) :
			    frac * unit / scale);
	if (v < KP_INTERVAL_MIN_NS || v > KP_INTERVAL_MAX_NS)
		return false;
	*ns = v;
	return true;
}

/* --- names --- */

void kp_window_name(char *buf, uint64_t start_ns, const char *ext)
{
	time_t sec = (time_t)(start_ns / 1000000000ULL);
	unsigned int ms = (unsigned int)(start_ns % 1000000000ULL / 1000000);
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, KP_WINDOW_NAME_MAX,
		 KP_WINDOW_PREFIX "%04d%02d%02dT%02d%02d%02d.%03uZ%s",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ms, ext);
}

bool kp_window_is_name(const char *name, const char *ext)
{
	/* after the prefix: digits (d), the T, the dot and the Z */
	static const char shape[] = "ddddddddTdddddd.dddZ";
	size_t plen = strlen(KP_WINDOW_PREFIX), i;

	if (strncmp(name, KP_WINDOW_PREFIX, plen))
		return false;
	name += plen;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? name[i] < '0' || name[i] > '9' :
				      name[i] != shape[i])
			return false;
	}
	return !strcmp(name + i, ext);
}

/* --- rotation --- */

static int kp_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kp_window_rotate(const char *dir, unsigned int keep, const char *ext,
		     bool (*busy)(const char *name, void *ctx), void *ctx)
{
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	int deleted = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!kp_window_is_name(de->d_name, ext))
			continue;
		kp_grow(&names, &cap, n, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), kp_name_cmp);
	for (i = 0; i + keep < n; i++) {
		if (busy && busy(names[i], ctx))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (unlink(path) == 0)
			deleted++;
		else if (errno != ENOENT)
			kp_warn("--keep: %s: %s", path, strerror(errno));
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return deleted;
}
