// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary bytes as a capture file (plain or gzip),
 * through the reader and the engine, under ASan and UBSan.  Inputs start
 * with the magic most of the time so the fuzzer reaches the records.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "engine.h"
#include "logread.h"

static void run(int fd)
{
	struct capture_meta *m = malloc(sizeof(*m));
	struct smmu_event ev;
	struct engine *e;
	struct input in;
	char err[256];

	e = engine_new(NULL, NULL, NULL);
	if (!m || !e || input_open_fd(&in, fd, "fuzz"))
		goto out;
	if (!capture_read_header(&in, m, err, sizeof(err)))
		while (capture_next(&in, &ev, err, sizeof(err)) == CAP_OK)
			engine_feed(e, &ev);
	input_close(&in);
	engine_finish(e);
out:
	engine_free(e);
	free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		return 0;
	if (size && data[0] & 1) {
		/* odd first byte: prepend a valid magic and version */
		static const char head[] = "SMMUTRC\0\1\0\0\0";

		if (write(fd, head, 12) != 12)
			goto out;
		data++;
		size--;
	}
	if (write(fd, data, size) != (ssize_t)size)
		goto out;
	lseek(fd, 0, SEEK_SET);
	run(fd);
	return 0;
out:
	close(fd);
	return 0;
}
