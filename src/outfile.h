/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Output files written the way a tool that may run as root must write them
 * (tcpdump, logrotate): the target's directory is held open for the whole
 * run and every name is resolved in it without following a symlink.  A new
 * file is created O_EXCL|O_NOFOLLOW, either at its name (--record without
 * --force) or under an unpredictable temporary name and renamed over the
 * old one, so nothing that was already there is ever truncated, chmodded
 * or written through.  Modes are set with fchmod whatever the umask.  A
 * symlink, device, FIFO, socket or directory at the name is refused, and
 * so is any file registered as an input of this run.
 */
#ifndef SMMUTRACE_OUTFILE_H
#define SMMUTRACE_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct outfile {
	int dirfd;		/* the directory the path names, -1 = not open */
	char *path;		/* as given, for messages */
	char *dir;		/* its directory part, for messages */
	char *name;		/* its last component, relative to dirfd */
	mode_t mode;		/* of every file created */
};

/*
 * Open the directory of path (never its last component).  0, or -errno
 * with err filled ("PATH: why").
 */
int outfile_open(struct outfile *o, const char *path, mode_t mode, char *err, size_t errlen);
void outfile_close(struct outfile *o);

/*
 * What is at name in the directory now: 0 nothing, 1 a regular file that
 * may be replaced, -errno (err filled) for anything that must not be.
 */
int outfile_check(const struct outfile *o, const char *name, char *err, size_t errlen);

/*
 * A new, empty file at name, open for writing, mode o->mode: exclusive
 * (EEXIST if anything is there), or with replace a temporary renamed over
 * what outfile_check accepts.  Returns the fd or -errno (err filled).
 */
int outfile_create(struct outfile *o, const char *name, bool replace, char *err, size_t errlen);

/* a temporary in the directory (".NAME.<random>"), for outfile_commit */
int outfile_tmp(struct outfile *o, char *tmp, size_t tmplen, char *err, size_t errlen);
/*
 * fsync the temporary, check the target again, rename it over o->name and
 * fsync the directory; the temporary is removed on failure.  Does not
 * close fd.  0 or -errno (err filled).
 */
int outfile_commit(struct outfile *o, int fd, const char *tmp, char *err, size_t errlen);

/* remove name if it is still the file (dev, ino) this run created */
int outfile_remove_own(struct outfile *o, const char *name, dev_t dev, ino_t ino);

/*
 * Has fd, a file this run created, been unlinked (link count 0)?  Then
 * err says ("WHO: ...") whether its directory went too.
 */
bool outfile_gone(const struct outfile *o, int fd, const char *who, char *err, size_t errlen);

/*
 * Before a run that will write path: would outfile_check accept it, and
 * may this process create files in its directory?  0 or -errno.
 */
int outfile_preflight(const char *path, mode_t mode, char *err, size_t errlen);

/*
 * Inputs of this run: a target that is one of them is refused, so an
 * output can never replace what is still to be read.  0 or -errno.
 */
int outfile_protect_path(const char *path);
int outfile_protect_fd(int fd);

#endif /* SMMUTRACE_OUTFILE_H */
