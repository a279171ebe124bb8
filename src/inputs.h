/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * replay's inputs, before anything is read or written: each is registered
 * with outfile.h so no output can replace it, and the files of rotated
 * capture sets are put in their recorded order (capset.h), repeats left
 * out, gaps reported on stderr.
 */
#ifndef SMMUTRACE_INPUTS_H
#define SMMUTRACE_INPUTS_H

/*
 * files[0..n) in, the ones to read in order out (at most n); returns their
 * count, or -errno.  *gaps: missing middle files of rotated sets.
 */
int inputs_prepare(const char *const *files, int n, const char **out, int *gaps);

#endif /* SMMUTRACE_INPUTS_H */
