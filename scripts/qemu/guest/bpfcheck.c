// SPDX-License-Identifier: GPL-2.0
/*
 * bpfcheck - tiny guest-side probe of what smmutrace needs from a kernel.
 * Cross-built statically by scripts/qemu/validate.sh (libbpf, libelf, zlib).
 *
 *   bpfcheck btf                 vmlinux BTF: arm-smmu-v3 types and a few fields
 *   bpfcheck kprobe FUNC SECS    attach a BPF kprobe (raw insns, no ELF) that
 *                                counts calls of FUNC in an array map, wait
 *                                SECS seconds, print the count
 *   bpfcheck load OBJ SECS       open, CO-RE-relocate, load and attach a BPF
 *                                object (libbpf log at debug level for
 *                                relocation problems), wait SECS seconds, then
 *                                print its .bss as u64 words
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

static int has_member(const struct btf *btf, const struct btf_type *t, const char *name)
{
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name))
			return 1;
	return 0;
}

static int cmd_btf(void)
{
	static const char *types[] = { "arm_smmu_device", "arm_smmu_cmdq", "arm_smmu_queue",
				       "arm_smmu_ll_queue", "arm_smmu_master", "arm_smmu_stream",
				       "arm_smmu_cmdq_batch", "arm_smmu_invs", NULL };
	struct btf *btf = btf__load_vmlinux_btf();
	int i;

	if (!btf) {
		printf("btf: cannot load vmlinux BTF: %s\n", strerror(errno));
		return 1;
	}
	printf("btf: vmlinux types=%u\n", btf__type_cnt(btf));
	for (i = 0; types[i]; i++) {
		int id = btf__find_by_name_kind(btf, types[i], BTF_KIND_STRUCT);

		if (id < 0) {
			printf("btf: struct %s: absent\n", types[i]);
			continue;
		}
		printf("btf: struct %s: id=%d size=%u members=%u\n", types[i], id,
		       btf__type_by_id(btf, id)->size, btf_vlen(btf__type_by_id(btf, id)));
		if (!strcmp(types[i], "arm_smmu_cmdq")) {
			const struct btf_type *t = btf__type_by_id(btf, id);

			printf("btf: arm_smmu_cmdq.supports_cmd=%d atc_sync_timeouts=%d\n",
			       has_member(btf, t, "supports_cmd"),
			       has_member(btf, t, "atc_sync_timeouts"));
		}
	}
	btf__free(btf);
	return 0;
}

static int kprobe_pmu_type(void)
{
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
	int t = -1;

	if (f) {
		if (fscanf(f, "%d", &t) != 1)
			t = -1;
		fclose(f);
	}
	return t;
}

static int cmd_kprobe(const char *func, int secs)
{
	char log[4096] = "";
	struct perf_event_attr attr;
	int map_fd, prog_fd, pfd, type;
	uint32_t key = 0;
	uint64_t count = 0;
	LIBBPF_OPTS(bpf_prog_load_opts, popts, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 1);

	map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "cnt", 4, 8, 1, NULL);
	if (map_fd < 0) {
		printf("kprobe: map create failed: %s\n", strerror(errno));
		return 1;
	}
	struct bpf_insn insns[] = {
		/* *(u32 *)(fp - 4) = 0 */
		{ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = BPF_REG_10, .off = -4, .imm = 0 },
		/* r1 = map_fd (ld_imm64 pseudo map fd) */
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
		  .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd },
		{ 0 },
		/* r2 = fp - 4 */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = -4 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem },
		/* if r0 == 0 goto out */
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_0, .off = 2, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		/* lock *(u64 *)(r0 + 0) += r1 */
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = BPF_REG_0,
		  .src_reg = BPF_REG_1, .imm = BPF_ADD },
		/* out: r0 = 0; exit */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "cnt", "GPL", insns,
				sizeof(insns) / sizeof(insns[0]), &popts);
	if (prog_fd < 0) {
		printf("kprobe: prog load failed: %s\n%s\n", strerror(errno), log);
		return 1;
	}
	type = kprobe_pmu_type();
	if (type < 0) {
		printf("kprobe: no kprobe PMU\n");
		return 1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config1 = (uint64_t)(uintptr_t)func; /* kprobe_func */
	attr.config2 = 0;			   /* offset */
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		printf("kprobe: perf_event_open(%s) failed: %s\n", func, strerror(errno));
		return 1;
	}
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) || ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
		printf("kprobe: attach failed: %s\n", strerror(errno));
		return 1;
	}
	printf("kprobe: BPF program attached to %s\n", func);
	fflush(stdout);
	sleep(secs);
	if (bpf_map_lookup_elem(map_fd, &key, &count)) {
		printf("kprobe: map lookup failed: %s\n", strerror(errno));
		return 1;
	}
	printf("kprobe: %s BPF hits in %ds: %llu\n", func, secs, (unsigned long long)count);
	close(pfd);
	return 0;
}

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* warnings always; CO-RE relocation details at debug level */
	if (level == LIBBPF_DEBUG && !strstr(fmt, "relo") && !strstr(fmt, "cand"))
		return 0;
	return vprintf(fmt, ap);
}

static int cmd_load(const char *path, int secs)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *bss;
	int n = 0;

	libbpf_set_print(print_fn);
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		printf("load: open %s failed: %s\n", path, strerror(errno));
		return 1;
	}
	if (bpf_object__load(obj)) {
		printf("load: %s: LOAD FAILED: %s\n", path, strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__attach(prog)) {
			printf("load: attach %s failed: %s\n", bpf_program__name(prog), strerror(errno));
			return 1;
		}
		n++;
	}
	printf("load: %s: loaded and attached %d program(s)\n", path, n);
	fflush(stdout);
	sleep(secs);
	bss = bpf_object__find_map_by_name(obj, ".bss");
	if (bss) {
		unsigned long long v[16] = { 0 };
		unsigned int sz = bpf_map__value_size(bss), i, key = 0;

		if (sz > sizeof(v))
			sz = sizeof(v);
		if (bpf_map__lookup_elem(bss, &key, sizeof(key), v, bpf_map__value_size(bss) > sizeof(v) ?
					 sizeof(v) : bpf_map__value_size(bss), 0) == 0) {
			printf("load: .bss:");
			for (i = 0; i < sz / 8; i++)
				printf(" %llu", v[i]);
			printf("\n");
		} else {
			printf("load: .bss lookup failed: %s\n", strerror(errno));
		}
	}
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	printf("bpfcheck: libbpf %s\n", libbpf_version_string());
	if (argc >= 2 && !strcmp(argv[1], "btf"))
		return cmd_btf();
	if (argc >= 4 && !strcmp(argv[1], "kprobe"))
		return cmd_kprobe(argv[2], atoi(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "load"))
		return cmd_load(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: bpfcheck btf | kprobe FUNC SECS | load OBJ SECS\n");
	return 2;
}
