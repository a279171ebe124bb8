// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "testutil.h"

#include "decode.h"
#include "events.h"

static void test_opcode_names(void **state)
{
	static const struct { uint8_t op; const char *name; } t[] = {
		{ 0x01, "PREFETCH_CFG" }, { 0x03, "CFGI_STE" }, { 0x04, "CFGI_ALL" },
		{ 0x05, "CFGI_CD" }, { 0x06, "CFGI_CD_ALL" }, { 0x10, "TLBI_NH_ALL" },
		{ 0x11, "TLBI_NH_ASID" }, { 0x12, "TLBI_NH_VA" }, { 0x13, "TLBI_NH_VAA" },
		{ 0x20, "TLBI_EL2_ALL" }, { 0x21, "TLBI_EL2_ASID" }, { 0x22, "TLBI_EL2_VA" },
		{ 0x28, "TLBI_S12_VMALL" }, { 0x2a, "TLBI_S2_IPA" }, { 0x30, "TLBI_NSNH_ALL" },
		{ 0x40, "ATC_INV" }, { 0x41, "PRI_RESP" }, { 0x44, "RESUME" },
		{ 0x46, "CMD_SYNC" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(smmu_opcode_name(t[i].op), t[i].name);
	assert_null(smmu_opcode_name(0x00));
	assert_null(smmu_opcode_name(0xff));
	assert_int_equal(smmu_op_class(0x46), SMMU_OPC_CMD_SYNC);
	assert_int_equal(smmu_op_class(0x40), SMMU_OPC_ATC_INV);
	assert_int_equal(smmu_op_class(0x13), SMMU_OPC_TLBI_NH_VA);
	assert_int_equal(smmu_op_class(0x99), SMMU_OPC_OTHER);
	/* the hot path's class table: a class for every command the driver emits, and only those */
	for (int op = 0; op < 256; op++)
		assert_int_equal(smmu_op_class(op) != SMMU_OPC_OTHER, smmu_opcode_name(op) != NULL);
}

static void test_atc_inv(void **state)
{
	/* SID 0x1f00, SSID 0x12345, SSV, GLOBAL; size 52, addr 0xdead000 */
	uint64_t d0 = 0x00001f0000000000ULL | (0x12345ULL << 12) | (1 << 11) | (1 << 9) | 0x40;
	uint64_t d1 = 0xdead000ULL | 52;
	struct smmu_cmd c;
	uint32_t sid;
	char buf[128];

	smmu_cmd_decode(d0, d1, &c);
	assert_int_equal(c.op, CMDQ_OP_ATC_INV);
	assert_true(c.known);
	assert_int_equal(c.atc.sid, 0x1f00);
	assert_int_equal(c.atc.ssid, 0x12345);
	assert_int_equal(c.atc.ssv, 1);
	assert_int_equal(c.atc.global, 1);
	assert_int_equal(c.atc.size, ATC_INV_SIZE_ALL);
	assert_int_equal(c.atc.addr, 0xdead000);
	assert_true(smmu_cmd_has_sid(&c, &sid));
	assert_int_equal(sid, 0x1f00);
	smmu_cmd_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "ATC_INV sid=0x1f00 ssid=0x12345 ssv=1 global=1 "
			    "size=52(all) addr=0xdead000");
}

static void test_other_commands(void **state)
{
	struct smmu_cmd c;
	uint32_t sid;
	char buf[128];

	/* CFGI_STE sid 0x100, leaf */
	smmu_cmd_decode(0x0000010000000003ULL, 1, &c);
	assert_int_equal(c.cfgi.sid, 0x100);
	assert_int_equal(c.cfgi.leaf, 1);
	assert_true(smmu_cmd_has_sid(&c, &sid));
	smmu_cmd_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "CFGI_STE sid=0x100 ssid=0x0 leaf=1");

	/* TLBI_NH_VA asid 7 vmid 3, num 2, scale 1, va 0x80001000, leaf, ttl 3, tg 1 */
	smmu_cmd_decode((7ULL << 48) | (3ULL << 32) | (1 << 20) | (2 << 12) | 0x12,
			0x80001000ULL | (1 << 10) | (3 << 8) | 1, &c);
	assert_int_equal(c.tlbi.asid, 7);
	assert_int_equal(c.tlbi.vmid, 3);
	assert_int_equal(c.tlbi.num, 2);
	assert_int_equal(c.tlbi.scale, 1);
	assert_int_equal(c.tlbi.addr, 0x80001000);
	assert_int_equal(c.tlbi.leaf, 1);
	assert_int_equal(c.tlbi.ttl, 3);
	assert_int_equal(c.tlbi.tg, 1);
	assert_false(smmu_cmd_has_sid(&c, &sid));

	/* CMD_SYNC, CS=IRQ (MSI), MSH 3, MSIATTR 0xf, msiaddr = its own slot */
	smmu_cmd_decode((0xfULL << 24) | (3 << 22) | (1 << 12) | 0x46, 0x40001230ULL, &c);
	assert_int_equal(c.sync.cs, CMDQ_SYNC_CS_IRQ);
	assert_int_equal(c.sync.msh, 3);
	assert_int_equal(c.sync.msiattr, 0xf);
	assert_int_equal(c.sync.msiaddr, 0x40001230);
	smmu_cmd_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "CMD_SYNC cs=IRQ msidata=0x0 msiaddr=0x40001230");

	/* PRI_RESP sid 0x20 ssid 5 grpid 0x1ff resp 1 */
	smmu_cmd_decode((0x20ULL << 32) | (5 << 12) | 0x41, (1 << 12) | 0x1ff, &c);
	assert_int_equal(c.pri.sid, 0x20);
	assert_int_equal(c.pri.ssid, 5);
	assert_int_equal(c.pri.grpid, 0x1ff);
	assert_int_equal(c.pri.resp, 1);

	/* RESUME sid 0x21 resp ABORT stag 0xbeef */
	smmu_cmd_decode((0x21ULL << 32) | (2 << 12) | 0x44, 0xbeef, &c);
	assert_int_equal(c.resume.sid, 0x21);
	assert_int_equal(c.resume.resp, 2);
	assert_int_equal(c.resume.stag, 0xbeef);
	smmu_cmd_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "RESUME sid=0x21 stag=0xbeef resp=ABORT");

	/* the zeroed slot the illegal-command injection makes the SMMU run */
	smmu_cmd_decode(0, 0, &c);
	assert_false(c.known);
	smmu_cmd_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "unknown opcode 0x00");
}

/* a CONS as printed with an ATC timeout: CERROR 3 in bits [30:24] */
static void test_cons_split(void **state)
{
	struct smmu_qpos q;

	smmu_qpos_split(0x0302bb84, 16, &q);
	assert_int_equal(q.cerror, SMMU_CERROR_ATC_INV_SYNC);
	assert_int_equal(q.idx, 0xbb84);
	assert_int_equal(q.wrap, 0);
	smmu_qpos_split(0x0302bb84, 17, &q);
	assert_int_equal(q.idx, 0xbb84);
	assert_int_equal(q.wrap, 1);
	smmu_qpos_split(0x01000044, 8, &q);
	assert_int_equal(q.cerror, SMMU_CERROR_ILL);
	assert_int_equal(q.idx, 0x44);
	smmu_qpos_split(0x80000010, 4, &q);
	assert_int_equal(q.ovf, 1);
	assert_int_equal(q.wrap, 1);
	assert_int_equal(q.idx, 0);
	/* unknown queue size: no idx/wrap */
	smmu_qpos_split(0x0302bb84, 0, &q);
	assert_int_equal(q.idx, SMMU_NO_POS);
	assert_int_equal(q.cerror, 3);
}

static void test_wrap_boundary(void **state)
{
	const unsigned int s = 8;	/* 256 slots, wrap bit 8 */

	assert_int_equal(smmu_q_inc(0x0ff, 1, s), 0x100);	/* idx 255 -> 0, wrap 0 -> 1 */
	assert_int_equal(smmu_q_inc(0x1ff, 1, s), 0x000);	/* wrap 1 -> 0 */
	assert_int_equal(smmu_q_inc(0x1fe, 4, s), 0x002);
	assert_int_equal(smmu_q_inc(0x800000ff, 1, s), 0x80000100);	/* OWNED/OVF kept */
	assert_int_equal(smmu_q_inc(0x0fe, 64, s), 0x13e);
	assert_int_equal(smmu_q_dist(0x1fe, 0x002, s), 4);
	assert_int_equal(smmu_q_dist(0x0f0, 0x110, s), 0x20);
	assert_true(smmu_q_in_window(0x000, 0x1fe, 0x002, s));
	assert_true(smmu_q_in_window(0x1ff, 0x1fe, 0x002, s));
	assert_false(smmu_q_in_window(0x002, 0x1fe, 0x002, s));
	assert_false(smmu_q_in_window(0x0ff, 0x1fe, 0x002, s));
	/* same slot index, other pass round the ring: not the same position */
	assert_false(smmu_q_same_pos(0x044, 0x144, s));
	assert_true(smmu_q_same_pos(0x01000144, 0x144, s));	/* CERROR ignored */
	assert_true(smmu_q_same_pos(0x0302bb84, 0x0002bb84, 0));
	/* full: same idx, different wrap; empty: equal */
	assert_int_equal(smmu_q_space(0x100, 0x000, s), 0);
	assert_int_equal(smmu_q_space(0x010, 0x010, s), 256);
	assert_int_equal(smmu_q_space(0x105, 0x010, s), 11);
	assert_true(smmu_q_consumed(0x011, 0x010, s));
	assert_false(smmu_q_consumed(0x010, 0x010, s));
	assert_true(smmu_q_consumed(0x100, 0x0ff, s));
	assert_true(smmu_q_consumed(0x1ff, 0x0ff, s));	/* a whole lap: the kernel says consumed */
	assert_false(smmu_q_consumed(0x0fe, 0x0ff, s));
}

static void test_sizes_and_errors(void **state)
{
	char buf[128];

	assert_int_equal(smmu_max_n_shift_from_entries(65536), 16);
	assert_int_equal(smmu_max_n_shift_from_entries(1u << 19), 19);
	assert_int_equal(smmu_max_n_shift_from_entries(1u << 20), -1);
	assert_int_equal(smmu_max_n_shift_from_entries(1000), -1);
	assert_int_equal(smmu_max_n_shift_from_entries(0), -1);
	assert_string_equal(smmu_cerror_text(3), "ATC invalidate timeout");
	assert_string_equal(smmu_cerror_text(0x7f), "Unknown");
	assert_int_equal(smmu_cerror_from_text("Abort on command fetch", 22), 2);
	assert_int_equal(smmu_cerror_from_text("Unknown", 7), -1);
	assert_int_equal(smmu_gerror_format(0x101, buf, sizeof(buf)), 16);
	assert_string_equal(buf, "CMDQ_ERR|SFM_ERR");
	smmu_gerror_format(0x2, buf, sizeof(buf));
	assert_string_equal(buf, "BIT1");
	assert_string_equal(smmu_gerror_bit_name(7), "MSI_GERROR_ABT_ERR");
	assert_string_equal(smmu_evt_name(0x10), "F_TRANSLATION");
	assert_int_equal(smmu_evt_from_name("F_PERMISSION", 12), 0x13);
	assert_int_equal(smmu_evt_from_name("F_NOPE", 6), -1);
	assert_string_equal(smmu_ctx_name(SMMU_CTX_HARDIRQ), "hardirq");
}

/*
 * Event records, built field by field from the architecture's layout
 * (dword 0: id [7:0], SSV [11], SSID [31:12], SID [63:32]; dword 1: STAG
 * [15:0], Stall [31], PnU [33], InD [34], RnW [35], S2 [39], CLASS [41:40];
 * dword 2: input address; dword 3: IPA [51:12] or fetch address [51:3]).
 */
static void test_event_records(void **state)
{
	uint64_t dw[4] = {
		0x10 | 1ULL << 11 | 0x5ULL << 12 | 0x100ULL << 32,
		0x2aULL | 1ULL << 31 | 1ULL << 33 | 0ULL << 34 | 1ULL << 35 | 1ULL << 39 |
			2ULL << 40,
		0xffff80001234ULL,
		0x8badf00d000ULL | 0xfffULL | 0xfULL << 52,
	};
	struct smmu_evt f;

	smmu_evt_decode(dw, 0xf, &f);
	assert_int_equal(f.id, 0x10);
	assert_int_equal(f.sid, 0x100);
	assert_int_equal(f.ssid, 5);
	assert_int_equal(f.ssv, 1);
	assert_int_equal(f.stag, 0x2a);
	assert_int_equal(f.stall, 1);
	assert_int_equal(f.priv, 1);
	assert_int_equal(f.instr, 0);
	assert_int_equal(f.read, 1);
	assert_int_equal(f.s2, 1);
	assert_int_equal(f.cls, 2);
	assert_int_equal(f.addr, 0xffff80001234ULL);
	assert_int_equal(f.ipa, 0x8badf00d000ULL);	/* bits 51:12 only */
	assert_int_equal(f.have, SMMU_EVT_ID | SMMU_EVT_SID | SMMU_EVT_SSID | SMMU_EVT_ADDR |
			 SMMU_EVT_RW | SMMU_EVT_IPA | SMMU_EVT_DETAIL);
	/* a dword not read leaves exactly its fields unset */
	smmu_evt_decode(dw, 0xf & ~2u, &f);
	assert_false(f.have & (SMMU_EVT_RW | SMMU_EVT_DETAIL));
	assert_true(f.have & SMMU_EVT_ADDR);
	smmu_evt_decode(dw, 0xf & ~1u, &f);
	assert_int_equal(f.have, 0);	/* without dword 0 the event is not known */
	/* a fetch fault carries a fetch address, no input address */
	dw[0] = (dw[0] & ~0xffULL) | 0x09;
	smmu_evt_decode(dw, 0xf, &f);
	assert_true(f.have & SMMU_EVT_FETCH);
	assert_false(f.have & (SMMU_EVT_ADDR | SMMU_EVT_RW | SMMU_EVT_IPA));
	assert_int_equal(f.ipa, 0x8badf00dff8ULL);	/* bits 51:3 */
	/* C_BAD_STREAMID: the StreamID and nothing else */
	dw[0] = 0x02 | 0x3fULL << 32;
	smmu_evt_decode(dw, 0xf, &f);
	assert_int_equal(f.have, SMMU_EVT_ID | SMMU_EVT_SID | SMMU_EVT_SSID);
	assert_int_equal(f.sid, 0x3f);
	assert_string_equal(smmu_evt_name(0x10), "F_TRANSLATION");
	assert_int_equal(smmu_evt_from_name("F_PERMISSION", 12), 0x13);
	assert_int_equal(smmu_evt_from_name("UNKNOWN", 7), -1);
}

/* a record from a capture written before the decoded fields existed */
static void test_event_record_compat(void **state)
{
	struct smmu_ev_evtq e = { 0 };
	struct smmu_evt f;

	e.id = 0x13;
	e.sid = 0x100;
	e.have_sid = 1;
	e.n_dw = 1;
	e.dw[0] = 0x13 | 0x100ULL << 32;
	smmu_evtq_fields(&e, &f);
	assert_int_equal(f.id, 0x13);
	assert_int_equal(f.sid, 0x100);
	assert_false(f.have & SMMU_EVT_ADDR);
	/* the decoded line overrides the dwords: it is the kernel's own reading */
	e.have = SMMU_EVTQ_DECODED | SMMU_EVTQ_HAVE_IOVA;
	e.sid = 0x200;
	e.iova = 0x1000;
	smmu_evtq_fields(&e, &f);
	assert_int_equal(f.sid, 0x200);
	assert_int_equal(f.addr, 0x1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opcode_names),
		cmocka_unit_test(test_atc_inv),
		cmocka_unit_test(test_other_commands),
		cmocka_unit_test(test_cons_split),
		cmocka_unit_test(test_wrap_boundary),
		cmocka_unit_test(test_sizes_and_errors),
		cmocka_unit_test(test_event_records),
		cmocka_unit_test(test_event_record_compat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
