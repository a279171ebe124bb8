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

static inline uint64_t nl_block(const char *p, size_t n)
{
	uint64_t m = 0;

	if (n >= 64)
		return bytes_eq64(p, '\n');
	for (size_t i = 0; i < n; i++)
		m |= (uint64_t)(p[i] == '\n') << i;
	return m;
}

/* room nl_offsets() needs past the count it returns */
#define NL_SLACK	2

/*
 * The offsets of every '\n' of buf[0, n), in order, into off (room for
 * n + NL_SLACK; n <= 65536), and their count.  The line loop then takes
 * each line's end from the list: finding it from the line's start chains
 * every line's scan to the one before (load, compare, mask, count: the
 * loop's whole latency), and walking one mask per block mispredicts the
 * block change about every other line.  Here nothing waits on a line: the
 * first two of a block are written whether they exist or not.
 */
static inline size_t nl_offsets(const char *buf, size_t n, uint16_t *off)
{
	size_t cnt = 0;

	for (size_t b = 0; b < n; b += 64) {
		uint64_t m = nl_block(buf + b, n - b);

		off[cnt] = b + __builtin_ctzll(m | 1ull << 63);
		cnt += m != 0;
		m &= m - 1;
		off[cnt] = b + __builtin_ctzll(m | 1ull << 63);
		cnt += m != 0;
		m &= m - 1;
		for (; m; m &= m - 1)
			off[cnt++] = b + __builtin_ctzll(m);
	}
	return cnt;
}

#endif /* SMMUTRACE_BYTESCAN_H */
