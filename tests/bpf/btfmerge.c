// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfmerge: append the BTF of fixture objects (clang -g + pahole -J) to a
 * base BTF (the running kernel's vmlinux), deduplicate, write raw BTF.
 * The result stands in for the vmlinux BTF of a kernel that has the
 * arm-smmu-v3 driver built in, and is given to libbpf as btf_custom_path.
 *
 *   btfmerge OUT BASE OBJ...
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

static int write_raw(const struct btf *btf, const char *path)
{
	const void *data;
	__u32 size;
	FILE *f;
	int err = 0;

	data = btf__raw_data(btf, &size);
	if (!data)
		return -ENOMEM;
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	if (fwrite(data, 1, size, f) != size)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

int main(int argc, char **argv)
{
	struct btf *base, *fix;
	int err;

	if (argc < 4) {
		fprintf(stderr, "usage: btfmerge OUT BASE OBJ...\n");
		return 2;
	}
	base = btf__parse(argv[2], NULL);
	if (!base) {
		fprintf(stderr, "btfmerge: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	for (int i = 3; i < argc; i++) {
		fix = btf__parse(argv[i], NULL);
		if (!fix) {
			fprintf(stderr, "btfmerge: %s: no BTF (%s); was pahole -J run?\n",
				argv[i], strerror(errno));
			goto fail;
		}
		err = btf__add_btf(base, fix);
		btf__free(fix);
		if (err < 0) {
			fprintf(stderr, "btfmerge: %s: %s\n", argv[i], strerror(-err));
			goto fail;
		}
	}
	/* folds the fixtures' copies of rb_node, list_head... into the kernel's */
	err = btf__dedup(base, NULL);
	if (!err)
		err = write_raw(base, argv[1]);
	if (err) {
		fprintf(stderr, "btfmerge: %s: %s\n", argv[1], strerror(-err));
		goto fail;
	}
	btf__free(base);
	return 0;
fail:
	btf__free(base);
	return 1;
}
