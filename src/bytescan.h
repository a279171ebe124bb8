/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which bytes of a block equal a given byte, as a bit mask (bit i = byte i),
 * and the line ends of a buffer found that way: the line loop of a big log
 * finds a line's end and proves most lines noise from a few masks, instead
 * of a call per line.  SSE2 on x86_64 (always there),
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
 * The first '\n' in [s, e), or NULL.  A line of a log fits in 128 bytes
 * nearly always: both masks are made each time and the end taken from
 * them without a branch on which one holds it, which the line's length
 * would decide on every line (a scan by blocks of 64 mispredicts its refill
 * about every other line).  Lines that do not fit, and the last 128 bytes,
 * go to memchr().
 */
static inline const char *next_nl(const char *s, const char *e)
{
	if (e - s >= 128) {
		uint64_t m0 = bytes_eq64(s, '\n'), m1 = bytes_eq64(s + 64, '\n');
		size_t i0 = __builtin_ctzll(m0 | 1ull << 63);
		size_t i1 = 64 + __builtin_ctzll(m1 | 1ull << 63);
		/* all ones when m0 is empty: a mask, since compilers branch on ?: */
		size_t in1 = -(size_t)(m0 == 0);

		if (m0 | m1)
			return s + (i0 ^ ((i0 ^ i1) & in1));
		s += 128;
	}
	return memchr(s, '\n', e - s);
}

#endif /* SMMUTRACE_BYTESCAN_H */
