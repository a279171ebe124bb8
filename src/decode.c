// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "events.h"

static const char *const op_names[256] = {
	[CMDQ_OP_PREFETCH_CFG]	 = "PREFETCH_CFG",
	[CMDQ_OP_CFGI_STE]	 = "CFGI_STE",
	[CMDQ_OP_CFGI_ALL]	 = "CFGI_ALL",
	[CMDQ_OP_CFGI_CD]	 = "CFGI_CD",
	[CMDQ_OP_CFGI_CD_ALL]	 = "CFGI_CD_ALL",
	[CMDQ_OP_TLBI_NH_ALL]	 = "TLBI_NH_ALL",
	[CMDQ_OP_TLBI_NH_ASID]	 = "TLBI_NH_ASID",
	[CMDQ_OP_TLBI_NH_VA]	 = "TLBI_NH_VA",
	[CMDQ_OP_TLBI_NH_VAA]	 = "TLBI_NH_VAA",
	[CMDQ_OP_TLBI_EL2_ALL]	 = "TLBI_EL2_ALL",
	[CMDQ_OP_TLBI_EL2_ASID]	 = "TLBI_EL2_ASID",
	[CMDQ_OP_TLBI_EL2_VA]	 = "TLBI_EL2_VA",
	[CMDQ_OP_TLBI_S12_VMALL] = "TLBI_S12_VMALL",
	[CMDQ_OP_TLBI_S2_IPA]	 = "TLBI_S2_IPA",
	[CMDQ_OP_TLBI_NSNH_ALL]	 = "TLBI_NSNH_ALL",
	[CMDQ_OP_ATC_INV]	 = "ATC_INV",
	[CMDQ_OP_PRI_RESP]	 = "PRI_RESP",
	[CMDQ_OP_RESUME]	 = "RESUME",
	[CMDQ_OP_CMD_SYNC]	 = "CMD_SYNC",
};

const char *smmu_opcode_name(uint8_t op)
{
	return op_names[op];
}

static void decode_atc(uint64_t d0, uint64_t d1, struct smmu_cmd *c)
{
	struct smmu_atc a;

	smmu_atc_from_cmd(&a, d0, d1);
	c->atc.ssid = a.ssid;
	c->atc.sid = a.sid;
	c->atc.global = a.global;
	c->atc.ssv = a.ssv;
	c->atc.size = a.size;
	c->atc.addr = a.addr;
}

static void decode_cfgi(uint64_t d0, uint64_t d1, struct smmu_cmd *c)
{
	c->cfgi.ssid = CMDQ_FIELD(d0, 31, 12);
	c->cfgi.sid = d0 >> 32;
	c->cfgi.leaf = CMDQ_FIELD(d1, 0, 0);
	c->cfgi.range = CMDQ_FIELD(d1, 4, 0);
	c->cfgi.addr = d1 & ~0xfffULL;
}

static void decode_tlbi(uint64_t d0, uint64_t d1, struct smmu_cmd *c)
{
	c->tlbi.num = CMDQ_FIELD(d0, 16, 12);
	c->tlbi.scale = CMDQ_FIELD(d0, 24, 20);
	c->tlbi.vmid = CMDQ_FIELD(d0, 47, 32);
	c->tlbi.asid = CMDQ_FIELD(d0, 63, 48);
	c->tlbi.leaf = CMDQ_FIELD(d1, 0, 0);
	c->tlbi.ttl = CMDQ_FIELD(d1, 9, 8);
	c->tlbi.tg = CMDQ_FIELD(d1, 11, 10);
	c->tlbi.addr = d1 & ~0xfffULL;
}

void smmu_cmd_decode(uint64_t d0, uint64_t d1, struct smmu_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->op = smmu_cmd_opcode(d0);
	c->known = op_names[c->op] != NULL;
	switch (c->op) {
	case CMDQ_OP_ATC_INV:
		decode_atc(d0, d1, c);
		break;
	case CMDQ_OP_PREFETCH_CFG:
	case CMDQ_OP_CFGI_STE:
	case CMDQ_OP_CFGI_ALL:
	case CMDQ_OP_CFGI_CD:
	case CMDQ_OP_CFGI_CD_ALL:
		decode_cfgi(d0, d1, c);
		break;
	case CMDQ_OP_TLBI_NH_ALL ... CMDQ_OP_TLBI_NSNH_ALL:
		decode_tlbi(d0, d1, c);
		break;
	case CMDQ_OP_CMD_SYNC:
		c->sync.cs = CMDQ_FIELD(d0, 13, 12);
		c->sync.msh = CMDQ_FIELD(d0, 23, 22);
		c->sync.msiattr = CMDQ_FIELD(d0, 27, 24);
		c->sync.msidata = d0 >> 32;
		c->sync.msiaddr = CMDQ_FIELD(d1, 51, 2) << 2;
		break;
	case CMDQ_OP_PRI_RESP:
		c->pri.ssid = CMDQ_FIELD(d0, 31, 12);
		c->pri.sid = d0 >> 32;
		c->pri.grpid = CMDQ_FIELD(d1, 8, 0);
		c->pri.resp = CMDQ_FIELD(d1, 13, 12);
		break;
	case CMDQ_OP_RESUME:
		c->resume.resp = CMDQ_FIELD(d0, 13, 12);
		c->resume.sid = d0 >> 32;
		c->resume.stag = CMDQ_FIELD(d1, 15, 0);
		break;
	}
}

bool smmu_cmd_has_sid(const struct smmu_cmd *c, uint32_t *sid)
{
	switch (c->op) {
	case CMDQ_OP_ATC_INV:
		*sid = c->atc.sid;
		return true;
	case CMDQ_OP_PREFETCH_CFG:
	case CMDQ_OP_CFGI_STE:
	case CMDQ_OP_CFGI_CD:
		*sid = c->cfgi.sid;
		return true;
	case CMDQ_OP_PRI_RESP:
		*sid = c->pri.sid;
		return true;
	case CMDQ_OP_RESUME:
		*sid = c->resume.sid;
		return true;
	}
	return false;
}

static const char *const cs_names[4] = { "NONE", "IRQ", "SEV", "3" };
static const char *const resume_resp[4] = { "TERM", "RETRY", "ABORT", "3" };

int smmu_cmd_format(const struct smmu_cmd *c, char *buf, size_t len)
{
	const char *name = smmu_opcode_name(c->op);

	switch (c->op) {
	case CMDQ_OP_ATC_INV:
		return snprintf(buf, len,
				"ATC_INV sid=0x%x ssid=0x%x ssv=%u global=%u size=%u%s addr=0x%llx",
				c->atc.sid, c->atc.ssid, c->atc.ssv, c->atc.global,
				c->atc.size, c->atc.size == ATC_INV_SIZE_ALL ? "(all)" : "",
				(unsigned long long)c->atc.addr);
	case CMDQ_OP_PREFETCH_CFG:
	case CMDQ_OP_CFGI_STE:
	case CMDQ_OP_CFGI_CD:
		return snprintf(buf, len, "%s sid=0x%x ssid=0x%x leaf=%u",
				name, c->cfgi.sid, c->cfgi.ssid, c->cfgi.leaf);
	case CMDQ_OP_CFGI_ALL:
	case CMDQ_OP_CFGI_CD_ALL:
		return snprintf(buf, len, "%s sid=0x%x range=%u", name,
				c->cfgi.sid, c->cfgi.range);
	case CMDQ_OP_TLBI_NH_ALL ... CMDQ_OP_TLBI_NSNH_ALL:
		if (!name)
			break;
		return snprintf(buf, len, "%s vmid=%u asid=%u addr=0x%llx leaf=%u",
				name, c->tlbi.vmid, c->tlbi.asid,
				(unsigned long long)c->tlbi.addr, c->tlbi.leaf);
	case CMDQ_OP_CMD_SYNC:
		return snprintf(buf, len, "CMD_SYNC cs=%s msidata=0x%x msiaddr=0x%llx",
				cs_names[c->sync.cs & 3], c->sync.msidata,
				(unsigned long long)c->sync.msiaddr);
	case CMDQ_OP_PRI_RESP:
		return snprintf(buf, len, "PRI_RESP sid=0x%x ssid=0x%x grpid=%u resp=%u",
				c->pri.sid, c->pri.ssid, c->pri.grpid, c->pri.resp);
	case CMDQ_OP_RESUME:
		return snprintf(buf, len, "RESUME sid=0x%x stag=0x%x resp=%s",
				c->resume.sid, c->resume.stag,
				resume_resp[c->resume.resp & 3]);
	}
	return snprintf(buf, len, "unknown opcode 0x%02x", c->op);
}

int smmu_op_class(uint8_t op)
{
	return smmu_op_class_tab[op];
}

static const char *const op_class_names[SMMU_OP_CLASSES] = {
	[SMMU_OPC_OTHER]	  = "other",
	[SMMU_OPC_PREFETCH]	  = "PREFETCH_CFG",
	[SMMU_OPC_CFGI_STE]	  = "CFGI_STE",
	[SMMU_OPC_CFGI_ALL]	  = "CFGI_ALL",
	[SMMU_OPC_CFGI_CD]	  = "CFGI_CD",
	[SMMU_OPC_CFGI_CD_ALL]	  = "CFGI_CD_ALL",
	[SMMU_OPC_TLBI_NH_ALL]	  = "TLBI_NH_ALL",
	[SMMU_OPC_TLBI_NH_ASID]	  = "TLBI_NH_ASID",
	[SMMU_OPC_TLBI_NH_VA]	  = "TLBI_NH_VA",
	[SMMU_OPC_TLBI_EL2]	  = "TLBI_EL2",
	[SMMU_OPC_TLBI_S12_VMALL] = "TLBI_S12_VMALL",
	[SMMU_OPC_TLBI_S2_IPA]	  = "TLBI_S2_IPA",
	[SMMU_OPC_TLBI_NSNH_ALL]  = "TLBI_NSNH_ALL",
	[SMMU_OPC_ATC_INV]	  = "ATC_INV",
	[SMMU_OPC_PRI_RESUME]	  = "PRI_RESP/RESUME",
	[SMMU_OPC_CMD_SYNC]	  = "CMD_SYNC",
};

const char *smmu_op_class_name(int cls)
{
	if (cls < 0 || cls >= SMMU_OP_CLASSES)
		return "?";
	return op_class_names[cls];
}

/* ---- queue positions -------------------------------------------------- */

void smmu_qpos_split(uint32_t val, unsigned int max_n_shift, struct smmu_qpos *p)
{
	p->cerror = smmu_cons_cerror(val);
	p->ovf = val >> 31;
	if (!max_n_shift || max_n_shift > SMMU_MAX_N_SHIFT) {
		p->idx = SMMU_NO_POS;
		p->wrap = 0xff;
		return;
	}
	p->idx = val & smmu_q_idx_mask(max_n_shift);
	p->wrap = (val >> max_n_shift) & 1;
}

/* queue_has_space() arithmetic: free slots given prod and cons */
uint32_t smmu_q_space(uint32_t prod, uint32_t cons, unsigned int max_n_shift)
{
	uint32_t size = 1u << max_n_shift;
	struct smmu_qpos p, c;

	smmu_qpos_split(prod, max_n_shift, &p);
	smmu_qpos_split(cons, max_n_shift, &c);
	if (p.wrap == c.wrap)
		return size - (p.idx - c.idx);
	return c.idx - p.idx;
}

/* queue_consumed(): has hardware CONS moved past prod? */
bool smmu_q_consumed(uint32_t cons, uint32_t prod, unsigned int max_n_shift)
{
	struct smmu_qpos p, c;

	smmu_qpos_split(prod, max_n_shift, &p);
	smmu_qpos_split(cons, max_n_shift, &c);
	return (p.wrap == c.wrap && c.idx > p.idx) ||
	       (p.wrap != c.wrap && c.idx <= p.idx);
}

int smmu_max_n_shift_from_entries(uint32_t entries)
{
	int shift = 0;

	if (!entries || (entries & (entries - 1)))
		return -1;
	while ((1u << shift) < entries)
		shift++;
	return shift > SMMU_MAX_N_SHIFT ? -1 : shift;
}

/* ---- errors ----------------------------------------------------------- */

uint8_t smmu_cons_cerror(uint32_t cons)
{
	return (cons >> 24) & 0x7f;
}

static const char *const cerror_texts[] = {
	[SMMU_CERROR_NONE]	   = "No error",
	[SMMU_CERROR_ILL]	   = "Illegal command",
	[SMMU_CERROR_ABT]	   = "Abort on command fetch",
	[SMMU_CERROR_ATC_INV_SYNC] = "ATC invalidate timeout",
};

const char *smmu_cerror_text(uint8_t cerror)
{
	if (cerror < sizeof(cerror_texts) / sizeof(cerror_texts[0]))
		return cerror_texts[cerror];
	return "Unknown";
}

/* the driver's text, mapped back; -1 for "Unknown" or anything else */
int smmu_cerror_from_text(const char *text, size_t len)
{
	for (size_t i = 0; i < sizeof(cerror_texts) / sizeof(cerror_texts[0]); i++) {
		size_t n = strlen(cerror_texts[i]);

		if (len >= n && !memcmp(text, cerror_texts[i], n))
			return i;
	}
	return -1;
}

static const char *const gerror_bits[] = {
	[0] = "CMDQ_ERR",
	[2] = "EVTQ_ABT_ERR",
	[3] = "PRIQ_ABT_ERR",
	[4] = "MSI_CMDQ_ABT_ERR",
	[5] = "MSI_EVTQ_ABT_ERR",
	[6] = "MSI_PRIQ_ABT_ERR",
	[7] = "MSI_GERROR_ABT_ERR",
	[8] = "SFM_ERR",
};

const char *smmu_gerror_bit_name(unsigned int bit)
{
	if (bit < sizeof(gerror_bits) / sizeof(gerror_bits[0]) && gerror_bits[bit])
		return gerror_bits[bit];
	return NULL;
}

int smmu_gerror_format(uint32_t active, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned int bit = 0; bit < 32; bit++) {
		const char *name;
		int n;

		if (!(active & (1u << bit)))
			continue;
		name = smmu_gerror_bit_name(bit);
		if (name)
			n = snprintf(buf + off, len - off, "%s%s", off ? "|" : "", name);
		else
			n = snprintf(buf + off, len - off, "%sBIT%u", off ? "|" : "", bit);
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += n;
	}
	return off;
}

/* ---- event queue ------------------------------------------------------ */

static const char *const evt_names[256] = {
	[0x01] = "F_UUT",
	[0x02] = "C_BAD_STREAMID",
	[0x03] = "F_STE_FETCH",
	[0x04] = "C_BAD_STE",
	[0x05] = "F_BAD_ATS_TREQ",
	[0x06] = "F_STREAM_DISABLED",
	[0x07] = "F_TRANSL_FORBIDDEN",
	[0x08] = "C_BAD_SUBSTREAMID",
	[0x09] = "F_CD_FETCH",
	[0x0a] = "C_BAD_CD",
	[0x0b] = "F_WALK_EABT",
	[0x10] = "F_TRANSLATION",
	[0x11] = "F_ADDR_SIZE",
	[0x12] = "F_ACCESS",
	[0x13] = "F_PERMISSION",
	[0x20] = "F_TLB_CONFLICT",
	[0x21] = "F_CFG_CONFLICT",
	[0x24] = "E_PAGE_REQUEST",
	[0x25] = "F_VMS_FETCH",
};

const char *smmu_evt_name(uint8_t id)
{
	return evt_names[id];
}

int smmu_evt_from_name(const char *name, size_t len)
{
	for (int i = 0; i < 256; i++) {
		if (evt_names[i] && strlen(evt_names[i]) == len &&
		    !memcmp(evt_names[i], name, len))
			return i;
	}
	return -1;
}

/*
 * Which fields each event record carries (Arm IHI 0070, event records;
 * positions as arm-smmu-v3.h encodes them).  Every record has the event id,
 * StreamID and SubstreamID in dword 0.
 */
#define EV_ADDR		SMMU_EVT_ADDR	/* InputAddr, dword 2 */
#define EV_RW		SMMU_EVT_RW	/* RnW, dword 1 bit 35 */
#define EV_IPA		SMMU_EVT_IPA	/* IPA, dword 3 [51:12] */
#define EV_FETCH	SMMU_EVT_FETCH	/* FetchAddr, dword 3 [51:3] */
#define EV_DETAIL	SMMU_EVT_DETAIL	/* STAG, Stall, PnU, InD, S2, CLASS in dword 1 */

static const uint16_t evt_fields[256] = {
	[0x01] = EV_ADDR | EV_RW,
	[0x03] = EV_FETCH,
	[0x05] = EV_ADDR | EV_RW,
	[0x07] = EV_ADDR | EV_RW,
	[0x09] = EV_FETCH,
	[0x0b] = EV_ADDR | EV_RW | EV_FETCH | EV_DETAIL,
	[0x10] = EV_ADDR | EV_RW | EV_IPA | EV_DETAIL,
	[0x11] = EV_ADDR | EV_RW | EV_IPA | EV_DETAIL,
	[0x12] = EV_ADDR | EV_RW | EV_IPA | EV_DETAIL,
	[0x13] = EV_ADDR | EV_RW | EV_IPA | EV_DETAIL,
	[0x20] = EV_ADDR | EV_RW,
	[0x24] = EV_ADDR | EV_RW,
	[0x25] = EV_FETCH,
};

/* dwords 1 to 3 of a record whose event id is known */
static void evt_decode_rest(const uint64_t dw[4], unsigned int valid, struct smmu_evt *o)
{
	uint16_t carries = evt_fields[o->id];

	if ((valid & 2) && (carries & (EV_RW | EV_DETAIL))) {
		o->stag = CMDQ_FIELD(dw[1], 15, 0);
		o->stall = CMDQ_FIELD(dw[1], 31, 31);
		o->priv = CMDQ_FIELD(dw[1], 33, 33);		/* PnU: 1 = privileged */
		o->instr = CMDQ_FIELD(dw[1], 34, 34);
		o->read = CMDQ_FIELD(dw[1], 35, 35);		/* RnW: 1 = read */
		o->s2 = CMDQ_FIELD(dw[1], 39, 39);
		o->cls = CMDQ_FIELD(dw[1], 41, 40);
		o->have |= carries & (EV_RW | EV_DETAIL);
	}
	if ((valid & 4) && (carries & EV_ADDR)) {
		o->addr = dw[2];
		o->have |= EV_ADDR;
	}
	if ((valid & 8) && (carries & EV_IPA)) {
		o->ipa = dw[3] & (CMDQ_FIELD(~0ULL, 51, 12) << 12);
		o->have |= EV_IPA;
	}
	if ((valid & 8) && (carries & EV_FETCH)) {
		o->ipa = dw[3] & (CMDQ_FIELD(~0ULL, 51, 3) << 3);
		o->have |= EV_FETCH;
	}
}

/* the fields of a raw record; a dword not in valid (bit i) leaves its fields unset */
void smmu_evt_decode(const uint64_t dw[4], unsigned int valid, struct smmu_evt *o)
{
	memset(o, 0, sizeof(*o));
	if (!(valid & 1))
		return;
	o->id = CMDQ_FIELD(dw[0], 7, 0);
	o->ssv = CMDQ_FIELD(dw[0], 11, 11);
	o->ssid = CMDQ_FIELD(dw[0], 31, 12);
	o->sid = dw[0] >> 32;
	o->have = SMMU_EVT_ID | SMMU_EVT_SID | SMMU_EVT_SSID;
	evt_decode_rest(dw, valid, o);
}

/* what the decoded lines said overrides the raw decode: it is the kernel's own */
static void evtq_text_fields(const struct smmu_ev_evtq *e, struct smmu_evt *o)
{
	if (e->have & SMMU_EVTQ_HAVE_ID) {
		o->id = e->id;
		o->have |= SMMU_EVT_ID;
	}
	if (e->have_sid && (e->have & SMMU_EVTQ_DECODED)) {
		o->sid = e->sid;
		o->have |= SMMU_EVT_SID;
	}
	if (e->have & SMMU_EVTQ_HAVE_SSID) {
		o->ssid = e->ssid;
		o->ssv = e->ssv;
		o->have |= SMMU_EVT_SSID;
	}
	if (e->have & SMMU_EVTQ_HAVE_IOVA) {
		o->addr = e->iova;
		o->have |= SMMU_EVT_ADDR;
	}
	if (e->have & (SMMU_EVTQ_HAVE_IPA | SMMU_EVTQ_HAVE_FETCH)) {
		o->ipa = e->ipa;
		o->have |= e->have & SMMU_EVTQ_HAVE_IPA ? SMMU_EVT_IPA : SMMU_EVT_FETCH;
	}
	if (e->have & SMMU_EVTQ_HAVE_RW) {
		o->read = e->read;
		o->have |= SMMU_EVT_RW;
	}
	if (e->have & SMMU_EVTQ_HAVE_DETAIL) {
		o->priv = e->priv;
		o->instr = e->instr;
		o->s2 = e->s2;
		o->cls = e->cls;
		o->stall = e->stall;
		o->stag = e->stag;
		o->have |= SMMU_EVT_DETAIL;
	}
}

void smmu_evtq_fields(const struct smmu_ev_evtq *e, struct smmu_evt *o)
{
	unsigned int n = e->n_dw > 4 ? 4 : e->n_dw;
	unsigned int valid = ((1u << n) - 1) & ~e->dw_bad;
	uint64_t dw[4] = { e->dw[0], e->dw[1], e->dw[2], e->dw[3] };

	smmu_evt_decode(dw, valid, o);
	if (!(valid & 1) && (e->have & SMMU_EVTQ_HAVE_ID)) {
		/* dword 0 unreadable, the header named the event: the rest still reads */
		o->id = e->id;
		o->have = SMMU_EVT_ID;
		evt_decode_rest(dw, valid, o);
	}
	if (!e->have) {
		/* a record from before the text fields: what the parser kept */
		if (e->id) {
			o->id = e->id;
			o->have |= SMMU_EVT_ID;
		}
		if (e->have_sid) {
			o->sid = e->sid;
			o->ssid = e->ssid;
			o->ssv = e->ssv;
			o->have |= SMMU_EVT_SID | SMMU_EVT_SSID;
		}
		return;
	}
	evtq_text_fields(e, o);
}

static const char *const ctx_names[SMMU_CTX_MAX] = {
	[SMMU_CTX_TASK]	   = "task",
	[SMMU_CTX_SOFTIRQ] = "softirq",
	[SMMU_CTX_HARDIRQ] = "hardirq",
	[SMMU_CTX_NMI]	   = "nmi",
};

const char *smmu_ctx_name(int ctx)
{
	if (ctx < 0 || ctx >= SMMU_CTX_MAX)
		return "?";
	return ctx_names[ctx];
}
