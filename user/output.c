// SPDX-License-Identifier: GPL-2.0
/*
 * output.c - temporary file + rename, gzip through zlib (see output.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "util.h"

#define KP_OUT_BUF 65536
/* Go's runtime/pprof uses gzip.BestSpeed too: encoding speed first. */
#define KP_OUT_GZIP_LEVEL Z_BEST_SPEED

/* The temporary file to remove on exit or signal; "" when none. */
static char kp_out_tmp[PATH_MAX];

void kp_out_cleanup(void)
{
	if (kp_out_tmp[0])
		unlink(kp_out_tmp);	/* async-signal-safe */
}

static int kp_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Create "DIR/.NAME.XXXXXX" for @final; remember it for the handlers. */
static int kp_out_mktemp(struct kp_out *o, char *err, size_t errlen)
{
	const char *slash = strrchr(o->final, '/');
	int dirlen = slash ? (int)(slash - o->final + 1) : 0;
	char tmp[PATH_MAX];
	sigset_t all, old;
	int n, fd;
	mode_t mask;

	n = snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", dirlen, o->final,
		     o->final + dirlen);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", o->final);
		return -1;
	}
	/* No signal between creating the file and recording its name. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	fd = mkstemp(tmp);
	if (fd >= 0)
		memcpy(kp_out_tmp, tmp, (size_t)n + 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a temporary file: %s",
			 o->final, strerror(errno));
		return -1;
	}
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	o->fd = fd;
	return 0;
}

/* An unlinked file in $TMPDIR (or /tmp) to stage output for copying. */
static int kp_out_anon(struct kp_out *o, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char tmp[PATH_MAX];

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/kprof2pprof.XXXXXX", dir);
	o->fd = mkstemp(tmp);
	if (o->fd < 0) {
		snprintf(err, errlen, "%s: cannot create a temporary file: %s",
			 tmp, strerror(errno));
		return -1;
	}
	unlink(tmp);
	return 0;
}

int kp_out_open(struct kp_out *o, const char *path, bool gzip, char *err,
		size_t errlen)
{
	struct stat st;
	char *real;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->gzip = gzip;
	if (strcmp(path, "-")) {
		/* Replace a symlink's target, not the symlink. */
		real = realpath(path, NULL);
		o->final = real ? real : xstrdup(path);
		if (stat(o->final, &st) == 0 && !S_ISREG(st.st_mode))
			o->copy = true;
	} else {
		o->copy = true;
	}
	if (o->copy ? kp_out_anon(o, err, errlen) :
		      kp_out_mktemp(o, err, errlen))
		goto out_free;
	o->buf = xmalloc(KP_OUT_BUF);
	if (gzip && deflateInit2(&o->z, KP_OUT_GZIP_LEVEL, Z_DEFLATED,
				 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		snprintf(err, errlen, "zlib: deflateInit2 failed");
		kp_out_abort(o);
		return -1;
	}
	return 0;

out_free:
	free(o->final);
	o->final = NULL;
	return -1;
}

static int kp_out_drain(struct kp_out *o)
{
	int ret = kp_write_all(o->fd, o->buf, o->len);

	o->out_bytes += o->len;
	o->len = 0;
	return ret;
}

/* Run deflate over @len bytes (or finish the stream with Z_FINISH). */
static int kp_out_deflate(struct kp_out *o, const void *buf, size_t len,
			  int flush)
{
	int zret, ret;

	o->z.next_in = (Bytef *)buf;
	o->z.avail_in = (uInt)len;
	do {
		o->z.next_out = o->buf + o->len;
		o->z.avail_out = (uInt)(KP_OUT_BUF - o->len);
		zret = deflate(&o->z, flush);
		if (zret == Z_STREAM_ERROR)
			return -EIO;
		o->len = KP_OUT_BUF - o->z.avail_out;
		if (o->len == KP_OUT_BUF || (flush == Z_FINISH && o->len)) {
			ret = kp_out_drain(o);
			if (ret)
				return ret;
		}
	} while (o->z.avail_in || (flush == Z_FINISH && zret != Z_STREAM_END));
	return 0;
}

int kp_out_write(void *ctx, const void *buf, size_t len)
{
	struct kp_out *o = ctx;
	const char *p = buf;
	int ret;

	o->in_bytes += len;
	if (o->gzip) {
		/* avail_in is 32 bits: feed large buffers in pieces. */
		while (len) {
			size_t n = len > (1u << 30) ? (1u << 30) : len;

			ret = kp_out_deflate(o, p, n, Z_NO_FLUSH);
			if (ret)
				return ret;
			p += n;
			len -= n;
		}
		return 0;
	}
	while (len) {
		size_t n = KP_OUT_BUF - o->len;

		if (n > len)
			n = len;
		memcpy(o->buf + o->len, p, n);
		o->len += n;
		p += n;
		len -= n;
		if (o->len == KP_OUT_BUF && (ret = kp_out_drain(o)))
			return ret;
	}
	return 0;
}

/* Copy the staged file to stdout or to the non-regular destination. */
static int kp_out_copy(struct kp_out *o, char *err, size_t errlen)
{
	const char *name = o->final ? o->final : "stdout";
	int dst = STDOUT_FILENO, ret = 0;
	ssize_t n;

	if (lseek(o->fd, 0, SEEK_SET) < 0) {
		snprintf(err, errlen, "temporary file: %s", strerror(errno));
		return -1;
	}
	if (o->final) {
		dst = open(o->final, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (dst < 0) {
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
			return -1;
		}
	}
	while ((n = read(o->fd, o->buf, KP_OUT_BUF)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		ret = n < 0 ? -errno : kp_write_all(dst, o->buf, (size_t)n);
		if (ret)
			break;
	}
	if (o->final && close(dst) && !ret)
		ret = -errno;
	if (ret)
		snprintf(err, errlen, "%s: %s", name, strerror(-ret));
	return ret ? -1 : 0;
}

int kp_out_commit(struct kp_out *o, char *err, size_t errlen)
{
	int ret = 0;

	if (o->gzip)
		ret = kp_out_deflate(o, NULL, 0, Z_FINISH);
	else if (o->len)
		ret = kp_out_drain(o);
	if (!ret && !o->copy && fsync(o->fd))
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "%s: write error: %s",
			 o->final ? o->final : "stdout", strerror(-ret));
		goto out_abort;
	}
	if (o->copy) {
		if (kp_out_copy(o, err, errlen))
			goto out_abort;
	} else {
		if (close(o->fd)) {
			o->fd = -1;
			snprintf(err, errlen, "%s: %s", o->final,
				 strerror(errno));
			goto out_abort;
		}
		o->fd = -1;
		if (rename(kp_out_tmp, o->final)) {
			snprintf(err, errlen, "%s: cannot rename into place: %s",
				 o->final, strerror(errno));
			goto out_abort;
		}
		kp_out_tmp[0] = '\0';
	}
	kp_out_abort(o);	/* frees what is left; the file stays */
	return 0;

out_abort:
	kp_out_abort(o);
	return -1;
}

void kp_out_abort(struct kp_out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (!o->copy && kp_out_tmp[0]) {
		unlink(kp_out_tmp);
		kp_out_tmp[0] = '\0';
	}
	if (o->gzip && o->buf)
		deflateEnd(&o->z);
	free(o->buf);
	o->buf = NULL;
	free(o->final);
	o->final = NULL;
}
