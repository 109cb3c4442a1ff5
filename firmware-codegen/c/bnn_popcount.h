/*
 * bnn_popcount.h: popcount(a XOR b) over a row of 32-bit words, the inner loop of every layer.
 *
 * Bit convention (lib/binary.ts, docs/model-format.md): element 32*k + i of a vector is
 * bit i of word k; bit 1 = +1, bit 0 = -1; padding bits are 0 in both operands, so they never
 * count. The dot product of two n-element ±1 vectors is n - 2 * bnn_xor_popcount(...).
 *
 * Methods (select with -DBNN_POPCOUNT=<n>; the default per target is chosen by measurement,
 * see docs/popcount.md and `bnn bench popcount`):
 *   BNN_POPCOUNT_HW      the core's instruction through __builtin_popcount: x86-64 POPCNT
 *                        (-mpopcnt), AArch64 CNT, RISC-V Zbb cpop, WebAssembly i32.popcnt
 *   BNN_POPCOUNT_LIBGCC  __builtin_popcount on a core without one: libgcc's __popcountsi2
 *                        (pico-sdk routes it to the RP2040 boot-ROM routine)
 *   BNN_POPCOUNT_SWAR    per word: 2-bit, 4-bit, 8-bit field sums, then a multiply
 *   BNN_POPCOUNT_TABLE   a 256-entry byte table, four look-ups per word
 *   BNN_POPCOUNT_CSA     Harley-Seal: carry-save adders across 8 words, one SWAR count per 8
 *   BNN_POPCOUNT_NIBBLE  SWAR down to 4-bit fields per word, fields summed across 3 words and
 *                        bytes across up to 30 words before one final fold
 */
#ifndef BNN_POPCOUNT_H
#define BNN_POPCOUNT_H

#include <stdint.h>

#define BNN_POPCOUNT_HW 1
#define BNN_POPCOUNT_LIBGCC 2
#define BNN_POPCOUNT_SWAR 3
#define BNN_POPCOUNT_TABLE 4
#define BNN_POPCOUNT_CSA 5
#define BNN_POPCOUNT_NIBBLE 6

#ifndef BNN_POPCOUNT
#if defined(__wasm__) || defined(__POPCNT__) || defined(__riscv_zbb) || defined(__aarch64__)
#define BNN_POPCOUNT BNN_POPCOUNT_HW
#else
/* No popcount instruction (Cortex-M0+ of the RP2040, Xtensa LX6/LX7 of the ESP32, RV32IMC of
 * the ESP32-C3): Harley-Seal, the fastest software method measured for row work on the emulated
 * Cortex-M0 and rv32imc (gcc -O2, default model, rows: 74,572 and 60,406 instructions per
 * inference against 81,667-102,649 and 60,890-107,522 for the others; docs/popcount.md). */
#define BNN_POPCOUNT BNN_POPCOUNT_CSA
#endif
#endif

/* 2-bit then 4-bit field sums: each 4-bit field of the result holds 0..4. */
static inline uint32_t bnn_nibble_counts(uint32_t x) {
    x = x - ((x >> 1) & 0x55555555u);
    return (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
}

static inline int32_t bnn_popcount_swar(uint32_t x) {
    x = bnn_nibble_counts(x);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (int32_t)((x * 0x01010101u) >> 24);
}

#if BNN_POPCOUNT == BNN_POPCOUNT_TABLE
static const uint8_t bnn_popcount_table[256] = {
#define BNN_B2(n) n, n + 1, n + 1, n + 2
#define BNN_B4(n) BNN_B2(n), BNN_B2(n + 1), BNN_B2(n + 1), BNN_B2(n + 2)
#define BNN_B6(n) BNN_B4(n), BNN_B4(n + 1), BNN_B4(n + 1), BNN_B4(n + 2)
    BNN_B6(0), BNN_B6(1), BNN_B6(1), BNN_B6(2)
#undef BNN_B2
#undef BNN_B4
#undef BNN_B6
};
#endif

/* Number of positions where a and b differ, over `words` words. */
static inline int32_t bnn_xor_popcount(const uint32_t *a, const uint32_t *b, int words) {
#if BNN_POPCOUNT == BNN_POPCOUNT_HW || BNN_POPCOUNT == BNN_POPCOUNT_LIBGCC
    int32_t n = 0;
    for (int k = 0; k < words; k++) n += __builtin_popcount(a[k] ^ b[k]);
    return n;
#elif BNN_POPCOUNT == BNN_POPCOUNT_SWAR
    int32_t n = 0;
    for (int k = 0; k < words; k++) n += bnn_popcount_swar(a[k] ^ b[k]);
    return n;
#elif BNN_POPCOUNT == BNN_POPCOUNT_TABLE
    int32_t n = 0;
    for (int k = 0; k < words; k++) {
        uint32_t x = a[k] ^ b[k];
        n += bnn_popcount_table[x & 0xff] + bnn_popcount_table[(x >> 8) & 0xff] +
             bnn_popcount_table[(x >> 16) & 0xff] + bnn_popcount_table[x >> 24];
    }
    return n;
#elif BNN_POPCOUNT == BNN_POPCOUNT_CSA
    uint32_t ones = 0, twos = 0, fours = 0, twosA, twosB, foursA, foursB, eights, u;
    int32_t n = 0;
    int k = 0;
/* carry-save add of x and y into the running sum l (in and out): the carries into h */
#define BNN_CSA_INTO(h, l, x, y) (u = (l) ^ (x), (h) = ((l) & (x)) | (u & (y)), (l) = u ^ (y))
    for (; k + 8 <= words; k += 8) {
        BNN_CSA_INTO(twosA, ones, a[k] ^ b[k], a[k + 1] ^ b[k + 1]);
        BNN_CSA_INTO(twosB, ones, a[k + 2] ^ b[k + 2], a[k + 3] ^ b[k + 3]);
        BNN_CSA_INTO(foursA, twos, twosA, twosB);
        BNN_CSA_INTO(twosA, ones, a[k + 4] ^ b[k + 4], a[k + 5] ^ b[k + 5]);
        BNN_CSA_INTO(twosB, ones, a[k + 6] ^ b[k + 6], a[k + 7] ^ b[k + 7]);
        BNN_CSA_INTO(foursB, twos, twosA, twosB);
        BNN_CSA_INTO(eights, fours, foursA, foursB);
        n += bnn_popcount_swar(eights);
    }
#undef BNN_CSA_INTO
    n = 8 * n + 4 * bnn_popcount_swar(fours) + 2 * bnn_popcount_swar(twos) + bnn_popcount_swar(ones);
    for (; k < words; k++) n += bnn_popcount_swar(a[k] ^ b[k]);
    return n;
#elif BNN_POPCOUNT == BNN_POPCOUNT_NIBBLE
    int32_t n = 0;
    int k = 0;
    while (k < words) {
        /* a byte field gains at most 8 per word: 30 words stay below 256 */
        int end = words - k > 30 ? k + 30 : words;
        uint32_t bytes = 0;
        for (; k + 3 <= end; k += 3) {
            /* a 4-bit field gains at most 4 per word: 3 words stay below 16 */
            uint32_t f = bnn_nibble_counts(a[k] ^ b[k]) + bnn_nibble_counts(a[k + 1] ^ b[k + 1]) +
                         bnn_nibble_counts(a[k + 2] ^ b[k + 2]);
            bytes += (f & 0x0f0f0f0fu) + ((f >> 4) & 0x0f0f0f0fu);
        }
        for (; k < end; k++) {
            uint32_t f = bnn_nibble_counts(a[k] ^ b[k]);
            bytes += (f & 0x0f0f0f0fu) + ((f >> 4) & 0x0f0f0f0fu);
        }
        bytes = (bytes & 0x00ff00ffu) + ((bytes >> 8) & 0x00ff00ffu);
        n += (int32_t)((bytes & 0xffffu) + (bytes >> 16));
    }
    return n;
#else
#error "unknown BNN_POPCOUNT method"
#endif
}

/* Index of the lowest set bit of x (x != 0). */
static inline int bnn_lowest_bit(uint32_t x) {
#if BNN_POPCOUNT == BNN_POPCOUNT_HW
    return __builtin_ctz(x);
#else
    /* de Bruijn multiply: no CTZ/CLZ instruction on ARMv6-M or RV32IMC */
    static const uint8_t debruijn[32] = {0, 1, 28, 2, 29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4, 8,
                                         31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6, 11, 5, 10, 9};
    return debruijn[((x & (0u - x)) * 0x077CB531u) >> 27];
#endif
}

#endif /* BNN_POPCOUNT_H */
