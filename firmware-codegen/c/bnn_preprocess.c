/*
 * bnn_preprocess.c: the C port of src/shared/camera-preprocess.ts (see bnn_preprocess.h).
 *
 * Exactness. The TypeScript computes in doubles, but every value it forms is an integer below
 * 2^53 and every division is Math.floor of a quotient, so it is exact integer arithmetic; the
 * C forms the same integers in types wide enough for them (bounds for n = width * height <=
 * 65535 pixels in the comments) and divides with operands that are never negative, where C's
 * `/` is the floor. The one quotient that can be negative (the placement, step 7) is clamped
 * to 0 by the TypeScript whenever it is, which `place` does without dividing. Where the C
 * computes differently (no per-row or per-column arrays, an ink table, fused resampling
 * passes, quotients kept by stepping instead of dividing), the comment there says why it gives
 * the same integers.
 *
 * Memory: no array depends on the frame size. The TypeScript's rowInk[height] and
 * colInk[width] become scans that stop at MIN_LINE_INK; its rows[bh * tw] and patch[tw * th]
 * become one resampled source row and one open output row of at most BOX_SIDE entries, the
 * finished output bytes being staged in `out` itself.
 */
#include "bnn_preprocess.h"

#define OUT_SIDE BNN_PREPROCESS_OUT_SIDE
#define BOX_SIDE BNN_PREPROCESS_BOX_SIDE
#define CENTRE BNN_PREPROCESS_CENTRE
#define MIN_LINE_INK BNN_PREPROCESS_MIN_LINE_INK

static bnn_preprocess_scratch_t bnn_preprocess_static_scratch;

/* Math.floor((pos - neg) / den) clamped to 0 .. hi, for den > 0 (all values < 2^23). */
static uint32_t place(uint32_t pos, uint32_t neg, uint32_t den, uint32_t hi) {
    uint32_t q;
    if (neg > pos) return 0; /* a negative quotient: floored to -1 or less, clamped to 0 */
    q = (pos - neg) / den;
    return q > hi ? hi : q;
}

typedef struct {
    int32_t threshold; /* -1: one grey level */
    uint32_t ink;
    uint32_t paper;
} levels_t;

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
 * The horizontal pass of one source row of the box, bw pixels at src, when tw <= bw: row[ox] =
 * the sum of v * overlap over the source columns, with source column sx covering
 * [sx * tw, (sx + 1) * tw) and output column ox [ox * bw, (ox + 1) * bw) on a common axis
 * (the overlaps of an output column add up to bw: row[ox] <= 255 * bw). A source column overlaps
 * the current output column, and the next one when it straddles the current one's end `edge`;
 * edges are multiples of bw and source columns advance by tw <= bw, so every edge is reached
 * once, closing its column: row[0..tw-1] are written once each, in order. Returns the number
 * of ink pixels (<= t) of the row.
 */
static uint32_t shrink_row(const uint8_t *line, int32_t left, uint32_t x0, uint32_t x1, uint32_t bw, uint32_t tw, const uint8_t *ink, uint32_t t, uint32_t *row) {
    uint32_t count = 0;
    uint32_t xa = 0;
    uint32_t edge = bw;
    uint32_t sum = 0; /* of the current output column */
    uint32_t sx;
    for (sx = 0; sx < bw; sx++) {
        const int32_t x = left + (int32_t)sx;
        uint32_t p = x >= (int32_t)x0 && x <= (int32_t)x1 ? line[x] : 255; /* outside the box: paper */
        uint32_t v = ink[p];
        uint32_t xb = xa + tw;
        count += p <= t;
        if (xb < edge) {
            sum += v * tw;
        } else {
            *row++ = sum + v * (edge - xa);
            sum = v * (xb - edge);
            edge += bw;
        }
        xa = xb;
    }
    return count;
}

/* The same when tw > bw: a source column overlaps the output columns from floor(xa / bw) while
 * they start before its end. */
static uint32_t grow_row(const uint8_t *line, int32_t left, uint32_t x0, uint32_t x1, uint32_t bw, uint32_t tw, const uint8_t *ink, uint32_t t, uint32_t *row) {
    uint32_t count = 0;
    uint32_t xa = 0;
    uint32_t ox_index = 0; /* floor(xa / bw), kept by stepping instead of dividing */
    uint32_t ox_start = 0; /* ox_index * bw */
    uint32_t sx, ox;
    for (ox = 0; ox < tw; ox++) row[ox] = 0;
    for (sx = 0; sx < bw; sx++) {
        const int32_t x = left + (int32_t)sx;
        uint32_t p = x >= (int32_t)x0 && x <= (int32_t)x1 ? line[x] : 255; /* outside the box: paper */
        uint32_t v = ink[p];
        uint32_t xb = xa + tw;
        uint32_t o = ox_index, edge = ox_start;
        count += p <= t;
        while (v != 0 && o < tw && edge < xb) {
            uint32_t next = edge + bw;
            uint32_t lo2 = edge > xa ? edge : xa;
            uint32_t hi2 = next < xb ? next : xb;
            row[o] += v * (hi2 - lo2);
            o++;
            edge = next;
        }
        xa = xb;
        while (ox_start + bw <= xa) {
            ox_start += bw;
            ox_index++;
        }
    }
    return count;
}

/* floor(a / b) for b > 0, also for negative a (as JavaScript's Math.floor(a / b)). */
static int64_t floor_div64(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b) != 0 && a < 0) q--;
    return q;
}

/*
 * The row shifts of steps 5 and 6, row after row: shift(dy) = round(shear * (dy - mean y) / SHEAR_ONE) with
 * mean y = qsyw / sw, i.e. floor((a dy + b) / d) with a = 2 shear sw, b = SHEAR_ONE sw -
 * 2 shear qsyw, d = 2 SHEAR_ONE sw > 0. One division at row 0; then the quotient and remainder
 * are stepped (|a| < d, so the quotient moves by at most 1 a row): the same integers as the
 * TypeScript's division per row, without a 64-bit division per row (the Cortex-M0 has none).
 */
typedef struct {
    int64_t a, d, r;
    int32_t q;
} shift_stepper_t;

static shift_stepper_t shift_start(int32_t shear, int64_t sw, int64_t qsyw) {
    shift_stepper_t st;
    if (sw == 0) {
        st.a = 0;
        st.d = 1;
        st.r = 0;
        st.q = 0;
        return st;
    }
    st.a = 2 * shear * sw;
    st.d = 2 * BNN_PREPROCESS_SHEAR_ONE * sw;
    {
        const int64_t b = BNN_PREPROCESS_SHEAR_ONE * sw - 2 * shear * qsyw;
        const int64_t q = floor_div64(b, st.d);
        st.q = (int32_t)q;
        st.r = b - q * st.d;
    }
    return st;
}

/* st = *from, field by field (a struct assignment becomes a call of memcpy on the Cortex-M0). */
static void shift_restart(shift_stepper_t *st, const shift_stepper_t *from) {
    st->a = from->a;
    st->d = from->d;
    st->r = from->r;
    st->q = from->q;
}

/* To the next row. */
static void shift_step(shift_stepper_t *st) {
    st->r += st->a;
    if (st->r >= st->d) {
        st->r -= st->d;
        st->q++;
    } else if (st->r < 0) {
        st->r += st->d;
        st->q--;
    }
}

static void zero_out(uint8_t *out) {
    uint32_t i;
    for (i = 0; i < BNN_PREPROCESS_OUT_PIXELS; i++) out[i] = 0;
}

/*
 * What the steps hand on besides the ink table, each filling its part (camera-preprocess.ts's
 * Prep; the row shifts are stepped, not stored, and the patch is staged in out). The steps are
 * static and called once: gcc inlines them into bnn_preprocess_frame_scratch and keeps the
 * fields in registers or its stack frame, as the one function did.
 */
typedef struct {
    const uint8_t *frame;
    uint32_t w, h;
    uint32_t t;              /* 1. histogram_levels: ink when p <= t */
    uint32_t x0, x1, y0, y1; /* 2. ink_box, inclusive */
    shift_stepper_t shift0;  /* 4. deskew_shear: the row shifts of its shear, at row 0 */
    int32_t left0;           /* 5. sheared_box: the source x of its first column before row dy's shift, */
    uint32_t bw;             /*    its width */
    uint32_t tw, th;         /* 6. resample_box: the patch's size, staged in out[0 .. tw * th - 1], */
    uint32_t mass, mx, my;   /*    its mass and moments, */
    uint32_t ink_count;      /*    the sheared box's ink pixels */
} prep_t;

/* Whether the sheared column whose source x is left + shift(dy) holds MIN_LINE_INK ink pixels
 * within x0..x1 (the shifts stepped from shift0: no division per column). */
static int sheared_column_has_ink(const prep_t *p, int32_t left) {
    const uint32_t bh = p->y1 - p->y0 + 1;
    const uint8_t *line = p->frame + p->y0 * p->w;
    uint32_t dy, k = 0;
    shift_stepper_t st;
    shift_restart(&st, &p->shift0);
    for (dy = 0; dy < bh; dy++, shift_step(&st), line += p->w) {
        const int32_t x = left + st.q;
        if (x < (int32_t)p->x0 || x > (int32_t)p->x1) continue;
        if (line[(uint32_t)x] <= p->t && ++k >= MIN_LINE_INK) return 1;
    }
    return 0;
}

/* 1. The histogram (counts <= n <= 65535) and its Otsu levels. */
static levels_t histogram_levels(const prep_t *p, uint16_t *hist) {
    const uint8_t *frame = p->frame;
    const uint32_t n = p->w * p->h;
    uint32_t i;
    for (i = 0; i < 256; i++) hist[i] = 0;
    for (i = 0; i + 4 <= n; i += 4) {
        hist[frame[i]]++;
        hist[frame[i + 1]]++;
        hist[frame[i + 2]]++;
        hist[frame[i + 3]]++;
    }
    for (; i < n; i++) hist[frame[i]]++;
    return otsu_levels(hist, n);
}

/*
 * 2. The bounding box: the TypeScript counts every row and column, then trims from both ends
 * while a line holds fewer than MIN_LINE_INK; scanning only the lines it trims (and those it
 * stops at, up to their MIN_LINE_INK-th ink pixel) finds the same x0, x1, y0, y1. 0: no ink.
 */
static int ink_box(prep_t *p) {
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
static void ink_table(uint8_t *ink, const levels_t *lv) {
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

/*
 * 4. Deskew: the moments of the box on coordinates divided by q (<= 127: sw <= 7 n and each
 * sum <= 7 n 127^2, so the products are below 2^53 for n <= 65535, as the TypeScript's doubles
 * need), and the shear.
 */
static void deskew_shear(prep_t *p, const uint8_t *ink) {
    int64_t sw = 0, sxw = 0, syw = 0, sxy = 0, syy = 0, cov, vr;
    int32_t shear;
    const uint32_t x0 = p->x0, x1 = p->x1, y0 = p->y0, y1 = p->y1;
    uint32_t dx, dy;
    /* q = 2^qs; the TypeScript's floor((x - x0) / q) of a non-negative value is the shift.
     * A row's sums of wt and wt * rx fit 32 bits (<= 7 * 65535 * 127); the products with the
     * row's ry are taken once a row, in 64 bits. */
    uint32_t q = 1, qs = 0;
    while (x1 - x0 > BNN_PREPROCESS_MOMENT_RANGE * q || y1 - y0 > BNN_PREPROCESS_MOMENT_RANGE * q) {
        q *= 2;
        qs++;
    }
    for (dy = 0; dy <= y1 - y0; dy++) {
        const uint8_t *line = p->frame + (y0 + dy) * p->w + x0;
        const int64_t ry = dy >> qs;
        uint32_t rw = 0, rwx = 0;
        for (dx = 0; dx <= x1 - x0; dx++) {
            const uint32_t wt = (uint32_t)ink[line[dx]] >> 5;
            rw += wt;
            rwx += wt * (dx >> qs);
        }
        sw += rw;
        sxw += rwx;
        syw += (int64_t)rw * ry;
        sxy += (int64_t)rwx * ry;
        syy += (int64_t)rw * ry * ry;
    }
    cov = sw * sxy - sxw * syw;
    vr = sw * syy - syw * syw;
    while (vr > BNN_PREPROCESS_MOMENT_LIMIT || cov > BNN_PREPROCESS_MOMENT_LIMIT || cov < -BNN_PREPROCESS_MOMENT_LIMIT) {
        cov = floor_div64(cov, 2);
        vr = floor_div64(vr, 2);
    }
    shear = 0;
    if (vr > 0) {
        int64_t r = floor_div64(2 * BNN_PREPROCESS_SHEAR_ONE * cov + vr, 2 * vr);
        shear = (int32_t)(r < -BNN_PREPROCESS_SHEAR_MAX ? -BNN_PREPROCESS_SHEAR_MAX : r > BNN_PREPROCESS_SHEAR_MAX ? BNN_PREPROCESS_SHEAR_MAX : r);
    }
    p->shift0 = shift_start(shear, sw, syw * q); /* the row shifts take the mean in box rows */
}

/*
 * 5. The sheared box: the rows' shifts (stepped from shift0), and the box's columns c0..c1
 * found again in the sheared frame like the box's (no per-column array: each candidate column
 * is scanned down the rows). 0: no sheared column holds MIN_LINE_INK ink pixels.
 */
static int sheared_box(prep_t *p) {
    const uint32_t bh = p->y1 - p->y0 + 1;
    int32_t low_shift = 0, high_shift = 0, c, c0, wide, base;
    uint32_t dy;
    shift_stepper_t st;
    shift_restart(&st, &p->shift0);
    for (dy = 0; dy < bh; dy++, shift_step(&st)) {
        if (dy == 0 || st.q < low_shift) low_shift = st.q;
        if (dy == 0 || st.q > high_shift) high_shift = st.q;
    }
    wide = (int32_t)(p->x1 - p->x0 + 1) + high_shift - low_shift;
    /* sheared column c holds source x = c + base + shift(dy) */
    base = (int32_t)p->x0 - high_shift;
    c = 0;
    while (c < wide && !sheared_column_has_ink(p, base + c)) c++;
    if (c == wide) return 0;
    c0 = c;
    c = wide - 1;
    while (c > c0 && !sheared_column_has_ink(p, base + c)) c--;
    p->left0 = base + c0;
    p->bw = (uint32_t)(c - c0 + 1);
    return 1;
}

/*
 * 6a. Output row o is complete: acc + row * weight, rounded (half up) to 0..255 and staged in
 * dst, acc cleared; adds to the centre of mass (mass <= 400 * 255, mx, my <= 19 * mass).
 * Rounding divides by d2 = 2 * denom: floor(num / d2) for num = 2 s + denom <= 511 denom
 * (s <= 255 denom) is num * recip >> 24 with recip = floor(2^24 / d2) (num * recip < 256 * 2^24
 * fits 32 bits), which is at most floor(num / d2) and falls short by less than
 * 1 + num / 2^24 < 3 (num < 2^25); the loop makes it up, (v + 1) * d2 < 2^25.
 */
static void finish_row(prep_t *p, uint32_t o, uint32_t *acc, const uint32_t *row, uint32_t weight, uint32_t denom, uint32_t recip, uint8_t *dst) {
    const uint32_t d2 = 2 * denom, tw = p->tw; /* a local: the stores to dst may alias *p */
    uint32_t ox, row_mass = 0, mx = 0;
    for (ox = 0; ox < tw; ox++) {
        uint32_t s = acc[ox] + row[ox] * weight;
        uint32_t v = 0;
        acc[ox] = 0;
        if (s != 0) {
            uint32_t num = 2 * s + denom;
            v = (num * recip) >> 24;
            while ((v + 1) * d2 <= num) v++;
            if (v > 255) v = 255;
        }
        dst[ox] = (uint8_t)v;
        row_mass += v;
        mx += ox * v;
    }
    p->mass += row_mass;
    p->mx += mx;
    p->my += o * row_mass;
}

/*
 * 6. Resamples the sheared box (bw x bh) to tw x th, the longer side becoming BOX_SIDE (tw, th
 * in 1..20), rounded, with the centre of mass; stages the patch in out[oy * tw + ox].
 *
 * The TypeScript resamples every source row into rows[], then sums rows[] into patch[]
 * (patch[oy][ox] = sum over sy of rows[sy][ox] * overlap(sy, oy)), then rounds patch[].
 * Here each source row is resampled into scratch->row and at once added, weighted, into
 * the output rows it overlaps: the same integer sums (no overflow, so the order of the
 * additions does not matter). Source rows map to output rows monotonically, so at most one
 * output row (acc) is open across source rows: an output row is finished (6a) when its span
 * ends within the current source row's. One division per frame for the rounding.
 */
static void resample_box(prep_t *p, const uint8_t *ink, bnn_preprocess_scratch_t *scratch, uint8_t *out) {
    const uint32_t bw = p->bw, bh = p->y1 - p->y0 + 1;
    const uint32_t longer = bw > bh ? bw : bh;
    const uint32_t denom = bw * bh;
    const uint32_t recip = ((uint32_t)1 << 24) / (2 * denom);
    uint32_t *acc = scratch->acc, *row = scratch->row;
    uint32_t tw = (2 * bw * BOX_SIDE + longer) / (2 * longer);
    uint32_t th = (2 * bh * BOX_SIDE + longer) / (2 * longer);
    uint32_t sy, ox;
    uint32_t ya = 0;       /* sy * th */
    uint32_t oy_index = 0; /* floor(ya / bh), kept by stepping instead of dividing */
    uint32_t oy_start = 0; /* oy_index * bh */
    shift_stepper_t rows_shift;
    shift_restart(&rows_shift, &p->shift0);
    if (tw < 1) tw = 1;
    if (th < 1) th = 1;
    p->tw = tw;
    p->th = th;
    p->mass = p->mx = p->my = p->ink_count = 0;
    for (ox = 0; ox < tw; ox++) acc[ox] = 0;
    for (sy = 0; sy < bh; sy++, shift_step(&rows_shift)) {
        const uint8_t *line = p->frame + (p->y0 + sy) * p->w;
        /* source x of the sheared box's column 0 */
        const int32_t left = p->left0 + rows_shift.q;
        uint32_t yb = ya + th;
        uint32_t o, edge;

        /* horizontal pass */
        p->ink_count += tw <= bw ? shrink_row(line, left, p->x0, p->x1, bw, tw, ink, p->t, row) : grow_row(line, left, p->x0, p->x1, bw, tw, ink, p->t, row);

        /* vertical pass: output row oy covers [oy * bh, (oy + 1) * bh), source row sy [ya, yb);
         * acc + row * overlap <= 255 * bw * bh <= 255 * n < 2^24 */
        o = oy_index;
        edge = oy_start;
        while (o < th && edge < yb) {
            uint32_t next = edge + bh;
            uint32_t lo2 = edge > ya ? edge : ya;
            uint32_t hi2 = next < yb ? next : yb;
            uint32_t weight = hi2 - lo2;
            if (next <= yb) {
                finish_row(p, o, acc, row, weight, denom, recip, out + o * tw);
            } else {
                for (ox = 0; ox < tw; ox++) acc[ox] += row[ox] * weight;
            }
            o++;
            edge = next;
        }
        ya = yb;
        while (oy_start + bh <= ya) {
            oy_start += bh;
            oy_index++;
        }
    }
}

/*
 * 7. Placement so that the centre of mass lands on (CENTRE, CENTRE): px = Math.floor((2 CENTRE
 * mass + mass - 2 mx) / (2 mass)) clamped to 0 .. 28 - tw (py the same with my, th); the
 * numerator is negative when the centre of mass lies beyond CENTRE + 1/2, and a negative
 * quotient floors to -1 or less, which the clamp makes 0. Moves the staged patch
 * (out[k], k = oy * tw + ox) to out[(uy + oy) * 28 + ux + ox]: that index is >= k (28 >= tw),
 * so copying from the last pixel down never overwrites a staged pixel before it is moved. Then
 * clears everything else.
 */
static void place_centre(const prep_t *p, uint8_t *out) {
    const uint32_t tw = p->tw, th = p->th, mass = p->mass;
    const uint32_t ux = place(2 * CENTRE * mass + mass, 2 * p->mx, 2 * mass, OUT_SIDE - tw);
    const uint32_t uy = place(2 * CENTRE * mass + mass, 2 * p->my, 2 * mass, OUT_SIDE - th);
    uint32_t k = tw * th, i, ox, oy;
    for (oy = th; oy-- > 0;) {
        uint8_t *dst = out + (uy + oy) * OUT_SIDE + ux;
        for (ox = tw; ox-- > 0;) dst[ox] = out[--k];
    }
    for (i = 0; i < uy * OUT_SIDE; i++) out[i] = 0;
    for (oy = uy; oy < uy + th; oy++) {
        uint8_t *line = out + oy * OUT_SIDE;
        for (ox = 0; ox < ux; ox++) line[ox] = 0;
        for (ox = ux + tw; ox < OUT_SIDE; ox++) line[ox] = 0;
    }
    for (i = (uy + th) * OUT_SIDE; i < BNN_PREPROCESS_OUT_PIXELS; i++) out[i] = 0;
}

int32_t bnn_preprocess_frame(const uint8_t *frame, int width, int height, uint8_t out[BNN_PREPROCESS_OUT_PIXELS]) {
    return bnn_preprocess_frame_scratch(frame, width, height, out, &bnn_preprocess_static_scratch);
}

/* The steps of camera-preprocess.ts's preprocess, in its order. */
int32_t bnn_preprocess_frame_scratch(const uint8_t *frame, int width, int height, uint8_t out[BNN_PREPROCESS_OUT_PIXELS], bnn_preprocess_scratch_t *scratch) {
    prep_t p;
    levels_t lv;
    BNN_PRECONDITION(frame != NULL && out != NULL && scratch != NULL, BNN_ERR_NULL);
    BNN_PRECONDITION(width >= 1 && height >= 1, BNN_ERR_SIZE);
    BNN_PRECONDITION(width <= BNN_PREPROCESS_MAX_PIXELS && height <= BNN_PREPROCESS_MAX_PIXELS, BNN_ERR_LIMIT);
    /* both <= 65535: the product fits 32 bits */
    BNN_PRECONDITION((uint32_t)width * (uint32_t)height <= BNN_PREPROCESS_MAX_PIXELS, BNN_ERR_LIMIT);
    p.frame = frame;
    p.w = (uint32_t)width;
    p.h = (uint32_t)height;
    lv = histogram_levels(&p, scratch->level.hist);
    /* paper >= ink: the paper class's pixels are all above the ink class's */
    if (lv.threshold < 0 || lv.paper - lv.ink < BNN_PREPROCESS_MIN_CONTRAST) goto no_digit;
    p.t = (uint32_t)lv.threshold;
    if (!ink_box(&p)) goto no_digit;
    ink_table(scratch->level.ink, &lv);
    deskew_shear(&p, scratch->level.ink);
    if (!sheared_box(&p)) goto no_digit;
    resample_box(&p, scratch->level.ink, scratch, out);
    if (p.mass == 0) goto no_digit;
    place_centre(&p, out);
    return (int32_t)p.ink_count;
no_digit:
    zero_out(out);
    return 0;
}
