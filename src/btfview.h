/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The struct the fentry issuer program reads cmds[] through.
 *
 * arm_smmu_cmdq_issue_cmdlist() takes `u64 *cmds`, which the verifier treats
 * as a plain number; bpf_rdonly_cast(cmds, id) turns it into a pointer to
 * struct id, read by direct loads (BPF_PROBE_MEM) at constant offsets that
 * the verifier checks against that struct.  Any vmlinux struct whose first
 * member is an array of at least 128 8-byte integers will do; the driver's
 * own struct arm_smmu_cmdq_batch (u64 cmds[128] first: what cmds points
 * into for every batch) is preferred.  bpf_rdonly_cast takes vmlinux ids
 * only, so with the driver as a module the fallback is another vmlinux
 * struct of that shape.
 *
 * Shared by src/loader.c, tests/bpf and bench/.  Include after <bpf/btf.h>.
 */
#ifndef SMMUTRACE_BTFVIEW_H
#define SMMUTRACE_BTFVIEW_H

#include <stdbool.h>
#include <string.h>

#define BTFVIEW_DWORDS	128	/* CMDQ_BATCH_MAX * CMDQ_ENT_DWORDS */

static inline const struct btf_type *btfview_skip(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_const(t) || btf_is_volatile(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/* a struct whose first member is an array of >= 128 8-byte integers at offset 0 */
static inline bool btfview_shape(const struct btf *btf, const struct btf_type *t)
{
	const struct btf_type *e;
	const struct btf_array *a;

	if (!btf_is_struct(t) || !btf_vlen(t) || t->size < BTFVIEW_DWORDS * 8 ||
	    btf_member_bit_offset(t, 0))
		return false;
	e = btfview_skip(btf, btf_members(t)->type);
	if (!e || !btf_is_array(e))
		return false;
	a = btf_array(e);
	e = btfview_skip(btf, a->type);
	return e && btf_is_int(e) && e->size == 8 && a->nelems >= BTFVIEW_DWORDS;
}

/* the id of the struct to use, 0 if none; *name set to its name */
static inline int btfview_find(const struct btf *btf, const char **name)
{
	int last = (int)btf__type_cnt(btf), found = 0;

	for (int id = 1; id < last; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *n;

		if (!btf_is_struct(t) || t->size < BTFVIEW_DWORDS * 8 || !btfview_shape(btf, t))
			continue;
		n = btf__name_by_offset(btf, t->name_off);
		if (!n || !n[0])
			continue;
		if (!strcmp(n, "arm_smmu_cmdq_batch") || !found) {
			found = id;
			*name = n;
			if (!strcmp(n, "arm_smmu_cmdq_batch"))
				break;
		}
	}
	return found;
}

#endif /* SMMUTRACE_BTFVIEW_H */
