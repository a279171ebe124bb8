/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The struct the fentry issuer program reads cmds[] through.
 *
 * Up to 7.1, arm_smmu_cmdq_issue_cmdlist() takes `u64 *cmds`, which the
 * verifier treats as a plain number; from 7.2 it takes `struct arm_smmu_cmd
 * *cmds` (struct arm_smmu_cmd { u64 data[2]; }), a BTF pointer to one
 * 16-byte command.  Either way bpf_rdonly_cast(cmds, id) turns it into a
 * pointer to struct id, read by direct loads (BPF_PROBE_MEM) at constant
 * offsets that the verifier checks against that struct: 128 8-byte loads,
 * at 8-byte steps.  So any vmlinux struct whose first member is 1024 bytes
 * of 8-byte integers will do: an array of at least 128 u64, or (7.2) of at
 * least 64 structs that are themselves u64[2].  The driver's own struct
 * arm_smmu_cmdq_batch (what cmds points into for every batch: u64 cmds[128]
 * up to 7.1, struct arm_smmu_cmd cmds[64] from 7.2) is preferred.
 * bpf_rdonly_cast takes vmlinux ids only, so with the driver as a module the
 * fallback is another vmlinux struct of that shape.
 *
 * Shared by src/loader.c, tests/bpf and bench/.  Include after <bpf/btf.h>.
 */
#ifndef SMMUTRACE_BTFVIEW_H
#define SMMUTRACE_BTFVIEW_H

#include <stdbool.h>
#include <string.h>

#define BTFVIEW_DWORDS	128	/* CMDQ_BATCH_MAX * CMDQ_ENT_DWORDS */
#define BTFVIEW_CMD_DWORDS 2	/* CMDQ_ENT_DWORDS: 7.2's struct arm_smmu_cmd */

static inline const struct btf_type *btfview_skip(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_const(t) || btf_is_volatile(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/* an array of at least min 8-byte integers; its length in *n */
static inline bool btfview_u64s(const struct btf *btf, const struct btf_type *t, __u32 min,
				__u32 *n)
{
	const struct btf_type *e;
	const struct btf_array *a;

	if (!t || !btf_is_array(t))
		return false;
	a = btf_array(t);
	e = btfview_skip(btf, a->type);
	*n = a->nelems;
	return e && btf_is_int(e) && e->size == 8 && a->nelems >= min;
}

/* 7.2's struct arm_smmu_cmd: 16 bytes, nothing but u64 data[2] */
static inline bool btfview_cmd(const struct btf *btf, const struct btf_type *t)
{
	__u32 n;

	return t && btf_is_struct(t) && btf_vlen(t) == 1 &&
	       t->size == BTFVIEW_CMD_DWORDS * 8 && !btf_member_bit_offset(t, 0) &&
	       btfview_u64s(btf, btfview_skip(btf, btf_members(t)->type), BTFVIEW_CMD_DWORDS,
			    &n) && n == BTFVIEW_CMD_DWORDS;
}

/* a struct whose first member, at offset 0, is 128 u64 or 64 struct arm_smmu_cmd */
static inline bool btfview_shape(const struct btf *btf, const struct btf_type *t)
{
	const struct btf_type *m;
	const struct btf_array *a;
	__u32 n;

	if (!btf_is_struct(t) || !btf_vlen(t) || t->size < BTFVIEW_DWORDS * 8 ||
	    btf_member_bit_offset(t, 0))
		return false;
	m = btfview_skip(btf, btf_members(t)->type);
	if (btfview_u64s(btf, m, BTFVIEW_DWORDS, &n))
		return true;
	if (!m || !btf_is_array(m))
		return false;
	a = btf_array(m);
	return a->nelems >= BTFVIEW_DWORDS / BTFVIEW_CMD_DWORDS &&
	       btfview_cmd(btf, btfview_skip(btf, a->type));
}

/* 2: the driver's struct arm_smmu_cmdq_batch; 1: another named struct of the shape; 0: no */
static inline int btfview_rank(const struct btf *btf, const struct btf_type *t)
{
	const char *n;

	if (!btf_is_struct(t) || t->size < BTFVIEW_DWORDS * 8 || !btfview_shape(btf, t))
		return 0;
	n = btf__name_by_offset(btf, t->name_off);
	if (!n || !n[0])
		return 0;
	return strcmp(n, "arm_smmu_cmdq_batch") ? 1 : 2;
}

/* the id of the struct to use, 0 if none; *name set to its name */
static inline int btfview_find(const struct btf *btf, const char **name)
{
	int last = (int)btf__type_cnt(btf), found = 0, best = 0;

	for (int id = 1; id < last && best < 2; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		int rank = btfview_rank(btf, t);

		if (rank > best) {
			best = rank;
			found = id;
			*name = btf__name_by_offset(btf, t->name_off);
		}
	}
	return found;
}

#endif /* SMMUTRACE_BTFVIEW_H */
