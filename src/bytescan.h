/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which bytes of a block equal a given byte, as a bit mask (bit i = byte i),
 * and the line ends of a buffer found that way: the line loop of a big log
 * finds every line end of a block at once and proves most lines noise from
 * a few masks, instead of a call per line.  SSE2 on x86_64 (always there),
 * plain 64-bit words elsewhere (arm64 included); both give the same masks,
 * tests/unit/test_bytescan.c runs both.  The caller makes sure the bytes
 * read are inside its buffer.
 */
#ifndef SMMUTRACE_BYTESCAN_H
#define SMMUTRACE_BYTESCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) && !defined(BYTESCAN_PORTABLE)
#include <emmintrin.h>

static inline uint32_t bytes_eq16(const char *p, char c)
{
	__m128i v = _mm_loadu_si128((const __m128i *)p);

	return _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
}
#else
/* 0x80 in each byte of w that is zero; exact, no borrow between bytes */
static inline uint64_t zero_bytes(uint64_t w)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;

	return ~(((w & low7) + low7) | w | low7);
}

/* one bit per byte, byte i of the word in memory at bit i */
static inline uint32_t bytes_eq8(const char *p, char c)
{
	uint64_t w;

	memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	w = zero_bytes(w ^ (0x0101010101010101ull * (uint8_t)c));
	return (w >> 7) * 0x0102040810204080ull >> 56;
}

static inline uint32_t bytes_eq16(const char *p, char c)
{
	return bytes_eq8(p, c) | bytes_eq8(p + 8, c) << 8;
}
#endif

/* bytes p[0..31] equal to c */
static inline uint32_t bytes_eq32(const char *p, char c)
{
	return bytes_eq16(p, c) | bytes_eq16(p + 16, c) << 16;
}

/* bytes p[0..63] equal to c */
static inline uint64_t bytes_eq64(const char *p, char c)
{
	return bytes_eq32(p, c) | (uint64_t)bytes_eq32(p + 32, c) << 32;
}

/*
 * The line ends of a buffer, found 64 bytes at a time: one mask serves the
 * lines of a block, where a memchr() call per line paid its setup each time.
 */
struct line_ends {
	const char *buf;
	size_t len, blk;	/* blk: offset of the block nl describes */
	uint64_t nl;		/* its newlines not handed out yet */
};

static inline uint64_t nl_block(const char *p, size_t n)
{
	uint64_t m = 0;

	if (n >= 64)
		return bytes_eq64(p, '\n');
	for (size_t i = 0; i < n; i++)
		m |= (uint64_t)(p[i] == '\n') << i;
	return m;
}

static inline void line_ends_init(struct line_ends *le, const char *buf, size_t len)
{
	le->buf = buf;
	le->len = len;
	le->blk = 0;
	le->nl = nl_block(buf, len);
}

/* the next '\n', or NULL */
static inline const char *line_end(struct line_ends *le)
{
	const char *nl;

	while (!le->nl) {
		le->blk += 64;
		if (le->blk >= le->len)
			return NULL;
		le->nl = nl_block(le->buf + le->blk, le->len - le->blk);
	}
	nl = le->buf + le->blk + __builtin_ctzll(le->nl);
	le->nl &= le->nl - 1;
	return nl;
}

#endif /* SMMUTRACE_BYTESCAN_H */
