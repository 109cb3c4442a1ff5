/*
 * bnn_preprocess_geometry.c: steps 4-7 of the camera preprocessing, the C port of
 * src/shared/camera-preprocess-geometry.ts (the same functions in the same order): the ink's box
 * deskewed, resampled and placed. bnn_preprocess.c says how the C keeps the TypeScript's integers.
 */
#include "bnn_preprocess_state.h"

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

/* The row shifts at row 0 (shift_stepper_t): the one division. */
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

/*
 * 4. Deskew: the moments of the box on coordinates divided by q (<= 127: sw <= 7 n and each
 * sum <= 7 n 127^2, so the products are below 2^53 for n <= 65535, as the TypeScript's doubles
 * need), and the shear.
 */
void bnn_preprocess_deskew_shear(prep_t *p, const uint8_t *ink) {
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
int bnn_preprocess_sheared_box(prep_t *p) {
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
void bnn_preprocess_resample_box(prep_t *p, const uint8_t *ink, bnn_preprocess_scratch_t *scratch, uint8_t *out) {
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

/* Math.floor((pos - neg) / den) clamped to 0 .. hi, for den > 0 (all values < 2^23). */
static uint32_t place(uint32_t pos, uint32_t neg, uint32_t den, uint32_t hi) {
    uint32_t q;
    if (neg > pos) return 0; /* a negative quotient: floored to -1 or less, clamped to 0 */
    q = (pos - neg) / den;
    return q > hi ? hi : q;
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
void bnn_preprocess_place_centre(const prep_t *p, uint8_t *out) {
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
