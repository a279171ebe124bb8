// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "outfile.h"

#define TMP_TRIES	64
/* a temporary's name must stay under NAME_MAX with its prefix and suffix */
#define TMP_NAME_KEEP	200

struct file_id {
	dev_t dev;
	ino_t ino;
};

/* the inputs of this run (replay's files): never an output */
static struct file_id *inputs;
static int n_inputs;

static int protect(const struct stat *st)
{
	struct file_id *p;

	if (!S_ISREG(st->st_mode))
		return 0;
	p = realloc(inputs, (n_inputs + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	inputs = p;
	inputs[n_inputs].dev = st->st_dev;
	inputs[n_inputs++].ino = st->st_ino;
	return 0;
}

int outfile_protect_path(const char *path)
{
	struct stat st;

	/* an input that cannot be stat'ed cannot be read either: replay says so */
	return stat(path, &st) ? 0 : protect(&st);
}

int outfile_protect_fd(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : protect(&st);
}

static bool is_input(const struct stat *st)
{
	for (int i = 0; i < n_inputs; i++)
		if (inputs[i].dev == st->st_dev && inputs[i].ino == st->st_ino)
			return true;
	return false;
}

/* "dir/name" for messages, or the path as given when it is the target */
static const char *full(const struct outfile *o, const char *name, char *buf, size_t len)
{
	if (!strcmp(name, o->name))
		return o->path;
	snprintf(buf, len, "%s/%s", o->dir, name);
	return buf;
}

static int fail(char *err, size_t errlen, int ret, const char *who, const char *why)
{
	snprintf(err, errlen, "%s: %s", who, why ? why : strerror(-ret));
	return ret;
}

int outfile_open(struct outfile *o, const char *path, mode_t mode, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;

	memset(o, 0, sizeof(*o));
	o->dirfd = -1;
	o->mode = mode;
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return fail(err, errlen, -EISDIR, path, NULL);
	o->path = strdup(path);
	o->name = strdup(name);
	if (!slash)
		o->dir = strdup(".");
	else
		o->dir = slash == path ? strdup("/") : strndup(path, slash - path);
	if (!o->path || !o->name || !o->dir) {
		outfile_close(o);
		return fail(err, errlen, -ENOMEM, path, NULL);
	}
	/* O_NONBLOCK: whatever sits at the directory's path, open never waits */
	o->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
	if (o->dirfd < 0) {
		int ret = -errno;

		snprintf(err, errlen, "%s: directory %s: %s", path, o->dir, strerror(-ret));
		outfile_close(o);
		return ret;
	}
	return 0;
}

void outfile_close(struct outfile *o)
{
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->dirfd = -1;
	free(o->path);
	free(o->dir);
	free(o->name);
	o->path = o->dir = o->name = NULL;
}

int outfile_check(const struct outfile *o, const char *name, char *err, size_t errlen)
{
	char buf[4096];
	const char *who = full(o, name, buf, sizeof(buf));
	struct stat st;

	if (fstatat(o->dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : fail(err, errlen, -errno, who, NULL);
	if (S_ISLNK(st.st_mode))
		return fail(err, errlen, -ELOOP, who,
			    "is a symbolic link; refusing to write through or replace it");
	if (S_ISDIR(st.st_mode))
		return fail(err, errlen, -EISDIR, who, NULL);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return fail(err, errlen, -EINVAL, who,
			    "is a device node; refusing to write to or replace it");
	if (S_ISFIFO(st.st_mode))
		return fail(err, errlen, -EINVAL, who, "is a FIFO; refusing to write to it");
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, -EINVAL, who, "is not a regular file");
	if (is_input(&st))
		return fail(err, errlen, -EINVAL, who,
			    "is an input of this run; refusing to overwrite it");
	return 1;
}

/* unpredictable even where getrandom would block (early boot) */
static uint64_t tmp_token(void)
{
	static uint64_t mix;
	struct timespec ts;
	uint64_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == sizeof(v))
		return v;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	mix = (mix ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32)) * 0x9e3779b97f4a7c15ULL;
	return mix ^ (uint64_t)(uintptr_t)&ts;
}

int outfile_tmp(struct outfile *o, char *tmp, size_t tmplen, char *err, size_t errlen)
{
	int fd = -1;

	for (int i = 0; i < TMP_TRIES && fd < 0; i++) {
		snprintf(tmp, tmplen, ".%.*s.%016llx", TMP_NAME_KEEP, o->name,
			 (unsigned long long)tmp_token());
		fd = openat(o->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a temporary file in %s: %s", o->path,
			 o->dir, strerror(errno));
		return -errno;
	}
	/* explicit, whatever the umask; only ever on a file created just now */
	if (fchmod(fd, o->mode)) {
		int ret = -errno;

		unlinkat(o->dirfd, tmp, 0);
		close(fd);
		return fail(err, errlen, ret, o->path, NULL);
	}
	return fd;
}

static int commit_to(struct outfile *o, int fd, const char *tmp, const char *name,
		     char *err, size_t errlen)
{
	char buf[4096];
	int ret;

	if (fsync(fd)) {
		ret = fail(err, errlen, -errno, full(o, name, buf, sizeof(buf)), NULL);
		goto fail;
	}
	ret = outfile_check(o, name, err, errlen);
	if (ret < 0)
		goto fail;
	if (renameat(o->dirfd, tmp, o->dirfd, name)) {
		ret = fail(err, errlen, -errno, full(o, name, buf, sizeof(buf)), NULL);
		goto fail;
	}
	/* the new name survives a crash only once the directory is on disk */
	if (fsync(o->dirfd))
		return fail(err, errlen, -errno, o->dir, NULL);
	return 0;
fail:
	unlinkat(o->dirfd, tmp, 0);
	return ret;
}

int outfile_commit(struct outfile *o, int fd, const char *tmp, char *err, size_t errlen)
{
	return commit_to(o, fd, tmp, o->name, err, errlen);
}

int outfile_create(struct outfile *o, const char *name, bool replace, char *err, size_t errlen)
{
	char buf[4096], tmp[256];
	int fd, ret;

	ret = outfile_check(o, name, err, errlen);
	if (ret < 0)
		return ret;
	if (replace) {
		fd = outfile_tmp(o, tmp, sizeof(tmp), err, errlen);
		if (fd < 0)
			return fd;
		ret = commit_to(o, fd, tmp, name, err, errlen);
		if (ret) {
			close(fd);
			return ret;
		}
		return fd;
	}
	fd = openat(o->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(err, errlen, -errno, full(o, name, buf, sizeof(buf)), NULL);
	if (fchmod(fd, o->mode) || fsync(o->dirfd)) {
		ret = fail(err, errlen, -errno, full(o, name, buf, sizeof(buf)), NULL);
		unlinkat(o->dirfd, name, 0);
		close(fd);
		return ret;
	}
	return fd;
}

int outfile_remove_own(struct outfile *o, const char *name, dev_t dev, ino_t ino)
{
	struct stat st;

	if (fstatat(o->dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (st.st_dev != dev || st.st_ino != ino)
		return -ESTALE;	/* replaced by someone else: not ours to remove */
	if (unlinkat(o->dirfd, name, 0))
		return -errno;
	return fsync(o->dirfd) ? -errno : 0;
}

bool outfile_gone(const struct outfile *o, int fd, const char *who, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) || st.st_nlink)
		return false;
	if (!fstat(o->dirfd, &st) && !st.st_nlink)
		snprintf(err, errlen, "%s: its directory %s was deleted", who, o->dir);
	else
		snprintf(err, errlen, "%s: the file was deleted", who);
	return true;
}

int outfile_preflight(const char *path, mode_t mode, char *err, size_t errlen)
{
	struct outfile o;
	int ret = outfile_open(&o, path, mode, err, errlen);

	if (ret)
		return ret;
	ret = outfile_check(&o, o.name, err, errlen);
	if (ret >= 0 && faccessat(o.dirfd, ".", W_OK | X_OK, AT_EACCESS)) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot create files in %s: %s", path, o.dir,
			 strerror(-ret));
	}
	outfile_close(&o);
	return ret < 0 ? ret : 0;
}
