/*
 * Binary convolution + pooling layers (model format version 2, docs/model-format.md §2.3).
 *
 * A tensor [height][width][channels] is a packed vector: element (r, c, ch) is element
 * (r * width + c) * channels + ch (bit e & 31 of word e >> 5). channels is 1 (the image) or a
 * multiple of 32 (one or more whole words a pixel). Output channel co at (oy, ox) is a hidden
 * neuron over the patch vector of the kernel x kernel pixels (dy, dx) in row-major order: the
 * patch is gathered into `patch` and run through the hidden-layer code of bnn_layers.h (the
 * columns method, or rows with -DBNN_HIDDEN_METHOD=1), so every output position costs one
 * hidden layer of kernel*kernel*channels inputs. The pool x pool window of each output pixel is
 * computed position after position and combined as it goes: OR, or AND for the channels in
 * pool_and, so the unpooled tensor is never stored.
 */
#ifndef BNN_CONV_H
#define BNN_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "bnn_layers.h"
#include "bnn_status.h"

/* Lets the compiler inline everything a generated per-layer function calls (gcc, clang). */
#if defined(__GNUC__)
#define BNN_FLATTEN __attribute__((flatten))
#else
#define BNN_FLATTEN
#endif

/* Largest kernel the gather handles (its row of bits must fit one shift of a 32-bit word). */
#define BNN_MAX_KERNEL 15

/* One layer's constants, as the generator writes them. */
typedef struct {
    int width, channels, kernel, pool;
    int out_height, out_width;
    int out_words;   /* output channels / 32 */
    int patch_bits;  /* kernel * kernel * channels */
    int patch_words; /* ceil(patch_bits / 32) */
    const uint32_t *pool_and;
#if BNN_HIDDEN_METHOD == BNN_HIDDEN_ROWS
    const uint32_t *weights; /* out_words * 32 rows of patch_words words */
    const int16_t *thresholds;
#else
    const uint32_t *columns; /* patch_bits columns of out_words words */
    const uint32_t *k_even;
    const uint32_t *odd_dec;
    int planes;
    /*
     * Single-channel input with a small kernel, or NULL: the channel bits of output position
     * (oy, ox) by the row-pattern method, a function the generator writes for the layer with
     * its constants (lib/codegen/pattern-tables.ts): a patch row is one of 2^kernel
     * bit patterns, a table holds each channel's matches with each kernel row's weights,
     * bit-sliced over the channels, and the position adds its rows' counts into counters
     * whose top plane is the channel bit. Five lookups and bit-sliced adds a position for a
     * 5x5 kernel instead of one column add per +1 pixel.
     */
    void (*pattern)(const uint32_t *x, int oy, int ox, uint32_t *bits);
    /*
     * The channel bits of a gathered patch by the columns method: bnn_columns_layer with this
     * layer's constants, written by the generator so the compiler specializes it (word counts,
     * planes) instead of looping over run-time sizes. Returns BNN_OK or BNN_ERR_LIMIT.
     */
    int (*patch_layer)(const uint32_t *patch, uint32_t *counters, uint32_t *bits);
#endif
} bnn_conv_t;

/* Bits p .. p + k - 1 of the packed vector x (k <= BNN_MAX_KERNEL), as the low bits of a word. */
static inline uint32_t bnn_bits_at(const uint32_t *x, int p, int k) {
    int s = p & 31;
    uint32_t v = x[p >> 5] >> s;
    if (s + k > 32) v |= x[(p >> 5) + 1] << (32 - s);
    return v & (((uint32_t)1 << k) - 1u);
}

/* The patch vector of output position (oy, ox). */
static inline void bnn_gather_patch(const bnn_conv_t *c, const uint32_t *x, int oy, int ox, uint32_t *patch) {
    const int k = c->kernel;
    if (c->channels == 1) {
        for (int w = 0; w < c->patch_words; w++) patch[w] = 0;
        for (int dy = 0; dy < k; dy++) {
            uint32_t bits = bnn_bits_at(x, (oy + dy) * c->width + ox, k);
            int q = dy * k;
            patch[q >> 5] |= bits << (q & 31);
            if ((q & 31) + k > 32) patch[(q >> 5) + 1] |= bits >> (32 - (q & 31));
        }
    } else {
        const int cw = c->channels >> 5;
        const int row = k * cw;
        for (int dy = 0; dy < k; dy++) {
            const uint32_t *src = x + ((size_t)(oy + dy) * (size_t)c->width + (size_t)ox) * (size_t)cw;
            uint32_t *dst = patch + dy * row;
            for (int w = 0; w < row; w++) dst[w] = src[w];
        }
    }
}


/*
 * y = the layer's packed output tensor [out_height][out_width][32 * out_words] for input x.
 * Scratch: patch (patch_words), bits and and_acc (out_words each), counters (out_words * planes,
 * columns method). Returns BNN_ERR_LIMIT, before touching y, when the constants are out of
 * what this code handles; else BNN_OK.
 */
static inline int bnn_conv_layer(const bnn_conv_t *c, const uint32_t *x, uint32_t *patch, uint32_t *bits, uint32_t *and_acc, uint32_t *counters, uint32_t *y) {
    BNN_PRECONDITION(c->kernel >= 1 && c->kernel <= BNN_MAX_KERNEL && c->pool >= 1 && c->out_words >= 1 && c->out_words <= BNN_MAX_OUT_WORDS, BNN_ERR_LIMIT);
    BNN_PRECONDITION(c->channels == 1 || (c->channels & 31) == 0, BNN_ERR_LIMIT);
#if BNN_HIDDEN_METHOD == BNN_HIDDEN_ROWS
    (void)counters;
#else
    BNN_PRECONDITION(c->planes >= 4 && c->planes <= 32, BNN_ERR_LIMIT);
    BNN_PRECONDITION(!c->pattern || c->channels == 1, BNN_ERR_LIMIT);
#endif
    const int ow = c->out_words;
    for (int py = 0; py < c->out_height; py++) {
        for (int px = 0; px < c->out_width; px++) {
            uint32_t *out = y + ((size_t)py * (size_t)c->out_width + (size_t)px) * (size_t)ow;
            for (int w = 0; w < ow; w++) {
                out[w] = 0;
                and_acc[w] = 0xffffffffu;
            }
            for (int dy = 0; dy < c->pool; dy++) {
                for (int dx = 0; dx < c->pool; dx++) {
#if BNN_HIDDEN_METHOD == BNN_HIDDEN_ROWS
                    bnn_gather_patch(c, x, py * c->pool + dy, px * c->pool + dx, patch);
                    bnn_rows_layer(patch, c->weights, c->thresholds, c->patch_bits, c->patch_words, 32 * ow, bits);
#else
                    if (c->pattern) {
                        c->pattern(x, py * c->pool + dy, px * c->pool + dx, bits);
                    } else {
                        bnn_gather_patch(c, x, py * c->pool + dy, px * c->pool + dx, patch);
                        if (c->patch_layer(patch, counters, bits) != BNN_OK) return BNN_ERR_LIMIT;
                    }
#endif
                    for (int w = 0; w < ow; w++) {
                        out[w] |= bits[w];
                        and_acc[w] &= bits[w];
                    }
                }
            }
            for (int w = 0; w < ow; w++) out[w] = (out[w] & ~c->pool_and[w]) | (and_acc[w] & c->pool_and[w]);
        }
    }
    return BNN_OK;
}

#endif /* BNN_CONV_H */
