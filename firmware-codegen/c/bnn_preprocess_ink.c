/*
 * bnn_preprocess_ink.c: steps 1-3 of the camera preprocessing, the C port of
 * src/shared/camera-preprocess-ink.ts (the same functions in the same order): the frame's grey
 * levels and which of them are ink. bnn_preprocess.c says how the C keeps the TypeScript's integers.
 */
#include "bnn_preprocess_state.h"

/*
 * otsuLevels: Otsu threshold and class means from the histogram of n pixels.
 *
 * The TypeScript divides twice per grey level for the class means in quarter grey levels,
 * q0 = floor(4 s0 / w0) and q1 = floor(4 (total - s0) / w1). Both only grow with g: class 0
 * gains pixels of value g, at least its others; class 1 loses pixels of value g, at most its
 * others. So each is kept with its remainder (r = 4 sum - q w, 0 <= r < w) and stepped up
 * (at most 1020 steps each over the whole loop) instead of divided: the same integers.
 */
static levels_t otsu_levels(const uint16_t *hist, uint32_t n) {
    levels_t lv = {-1, 0, 0};
    uint32_t total = 0; /* <= 255 * n < 2^24 */
    uint32_t w0 = 0, s0 = 0, q0 = 0, r0 = 0;
    uint32_t w1 = n, q1, r1;
    uint32_t best_w0 = 0, best_s0 = 0;
    uint64_t best_score = 0;
    uint32_t g;
    for (g = 0; g < 256; g++) total += g * hist[g];
    q1 = (4 * total) / n;
    r1 = 4 * total - q1 * n;
    for (g = 0; g < 255; g++) {
        uint32_t c = hist[g];
        uint32_t d;
        uint64_t score;
        /* An empty bin leaves w0 and s0, hence the score, as they were at g - 1, which did not
         * beat the best score strictly (or was skipped, w0 being 0): skipping is exact. */
        if (c == 0) continue;
        w0 += c;
        s0 += g * c;
        w1 -= c;
        if (w0 == c) {
            q0 = 4 * g; /* class 0 is these c pixels of value g */
            r0 = 0;
        } else {
            /* with s0 and w0 now counting the bin: 4 s0 - q0 w0 = r0 + (4 g - q0) c >= 0, as
             * q0 <= 4 (g - 1) */
            r0 += (4 * g - q0) * c;
            while (r0 >= w0) {
                r0 -= w0;
                q0++;
            }
        }
        if (w1 == 0) break; /* so it stays up to g = 254: the TypeScript skips them all */
        /* with class 1 now without the bin: 4 (total - s0) - q1 w1 = r1 + (q1 - 4 g) c >= 0, as
         * q1 >= 4 g (class 1 held only pixels >= g) */
        r1 += (q1 - 4 * g) * c;
        while (r1 >= w1) {
            r1 -= w1;
            q1++;
        }
        /* d = q1 - q0 >= 4: the paper class's pixels are >= g + 1, the ink class's <= g. d <= 1020 */
        d = q1 - q0;
        /* w0 * w1 <= (n / 2)^2 < 2^30 and d * d <= 1020^2 < 2^20: the score needs 64 bits
         * (< 2^50; the TypeScript's double holds it exactly too) */
        score = (uint64_t)(w0 * w1) * (d * d);
        if (lv.threshold < 0 || score > best_score) {
            best_score = score;
            lv.threshold = (int32_t)g;
            best_w0 = w0;
            best_s0 = s0;
        }
    }
    if (lv.threshold < 0) return lv;
    /* the TypeScript's c0 and sum0 (the sums over g <= best) are w0 and s0 at the best g */
    lv.ink = best_s0 / best_w0;
    lv.paper = (total - best_s0) / (n - best_w0);
    return lv;
}

/*
 * Whether the column of `count` >= 1 pixels p[0], p[stride], ... (stride = the frame's width)
 * holds at least MIN_LINE_INK ink pixels (<= t), for the bounding-box search. Stops counting
 * there. Two pixels per step (an index, not a pointer, runs past the column).
 */
static int column_has_ink(const uint8_t *p, uint32_t count, uint32_t stride, uint32_t t) {
    uint32_t k = 0;
    uint32_t i = 0;
    const uint32_t last = (count - 1) * stride; /* the last pixel, < n */
    for (; i < last; i += 2 * stride) {
        if (p[i] <= t && ++k >= MIN_LINE_INK) return 1;
        if (p[i + stride] <= t && ++k >= MIN_LINE_INK) return 1;
    }
    if (i == last && p[i] <= t) k++;
    return k >= MIN_LINE_INK;
}

/* The same for a row of `count` pixels: four per step, tested first for holding no ink. */
static int row_has_ink(const uint8_t *p, uint32_t count, uint32_t t) {
    uint32_t k = 0;
    const uint8_t *end = p + count;
    for (; end - p >= 4; p += 4) {
        if (p[0] > t && p[1] > t && p[2] > t && p[3] > t) continue;
        k += (p[0] <= t) + (p[1] <= t) + (p[2] <= t) + (p[3] <= t);
        if (k >= MIN_LINE_INK) return 1;
    }
    for (; p < end; p++) k += *p <= t;
    return k >= MIN_LINE_INK;
}

/*
 * 1. The histogram (counts <= n <= 65535) and its Otsu levels. The loops step a pointer to an
 * end: with an index to `i + 4 <= n` gcc steps two registers on the Cortex-M0 (6 instructions a
 * pixel instead of 5.5), as it does not know here that n is at most 65535.
 */
levels_t bnn_preprocess_histogram_levels(const prep_t *p, uint16_t *hist) {
    const uint32_t n = p->w * p->h;
    const uint8_t *q = p->frame, *const end = q + n, *const end4 = q + (n & ~(uint32_t)3);
    uint32_t i;
    for (i = 0; i < 256; i++) hist[i] = 0;
    for (; q != end4; q += 4) {
        hist[q[0]]++;
        hist[q[1]]++;
        hist[q[2]]++;
        hist[q[3]]++;
    }
    for (; q != end; q++) hist[*q]++;
    return otsu_levels(hist, n);
}

/*
 * 2. The bounding box: the TypeScript counts every row and column, then trims from both ends
 * while a line holds fewer than MIN_LINE_INK; scanning only the lines it trims (and those it
 * stops at, up to their MIN_LINE_INK-th ink pixel) finds the same x0, x1, y0, y1. 0: no ink.
 */
int bnn_preprocess_ink_box(prep_t *p) {
    const uint8_t *frame = p->frame;
    const uint32_t w = p->w, h = p->h, t = p->t;
    uint32_t x0 = 0, x1, y0 = 0, y1;
    while (x0 < w && !column_has_ink(frame + x0, h, w, t)) x0++;
    if (x0 == w) return 0;
    x1 = w - 1;
    while (x1 > x0 && !column_has_ink(frame + x1, h, w, t)) x1--; /* x1 = x0 holds ink */
    while (y0 < h && !row_has_ink(frame + y0 * w, w, t)) y0++;
    if (y0 == h) return 0;
    y1 = h - 1;
    while (y1 > y0 && !row_has_ink(frame + y1 * w, w, t)) y1--;
    p->x0 = x0;
    p->x1 = x1;
    p->y0 = y0;
    p->y1 = y1;
    return 1;
}

/*
 * 3. The ink amount per grey level, into `ink` (the histogram's memory: after the box, nothing
 * reads the histogram): v(p) = floor(255 (knee - p) / span) for lo < p < knee, built from
 * p = knee - 1 down with a running quotient and remainder (the numerator grows by 255 per step)
 * instead of dividing.
 */
void bnn_preprocess_ink_table(uint8_t *ink, const levels_t *lv) {
    const uint32_t t = (uint32_t)lv->threshold, lo = lv->ink;
    /* paper >= t + 1: the shift of a non-negative value is the floored half */
    const uint32_t knee = t + ((lv->paper - t) >> 1);
    /* lo <= t <= knee and paper - lo >= 40 give span >= 20: never 0 */
    const uint32_t span = knee - lo;
    uint32_t q = 0, r = 0;
    int32_t g;
    for (g = 255; g >= (int32_t)knee; g--) ink[g] = 0;
    for (g = (int32_t)knee - 1; g > (int32_t)lo; g--) {
        r += 255;
        while (r >= span) {
            r -= span;
            q++;
        }
        ink[g] = (uint8_t)q; /* < 255: knee - g < span */
    }
    for (g = (int32_t)lo; g >= 0; g--) ink[g] = 255;
}
