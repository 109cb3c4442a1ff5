/*
 * bnn_raster_steps.c: the steps of the stroke rasterizer, the functions of
 * src/shared/stroke-raster-steps.ts under the same names (snake_case, prefixed bnn_raster_) and
 * numbers, in the same order; bnn_raster.c calls them (see bnn_raster.h).
 */
#include "bnn_raster_state.h"

/* floor(a / b) for b > 0, also for negative a (as JavaScript's Math.floor(a / b)). */
static int32_t bnn_floor_div(int32_t a, int32_t b) {
    int32_t q = a / b;
    if ((a % b) != 0 && a < 0) q--;
    return q;
}

static int64_t bnn_floor_div64(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b) != 0 && a < 0) q--;
    return q;
}

static int64_t bnn_clamp64(int64_t v) {
    return v < -BNN_RASTER_SHEAR_MAX ? -BNN_RASTER_SHEAR_MAX : v > BNN_RASTER_SHEAR_MAX ? BNN_RASTER_SHEAR_MAX : v;
}

static int32_t bnn_clamp(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

static uint32_t bnn_raster_u16(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static int32_t bnn_bit_count(uint32_t x) {
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (int32_t)((x * 0x01010101u) >> 24);
}

/* Half-width of the pen at each vertical distance 0..radius (largest h, h^2 + dy^2 <= r^2). */
static int16_t bnn_spans[BNN_RASTER_PEN_RADIUS + 1];
static int bnn_spans_ready;

static void bnn_raster_spans(void) {
    const int32_t r2 = BNN_RASTER_PEN_RADIUS * BNN_RASTER_PEN_RADIUS;
    for (int32_t dy = 0; dy <= BNN_RASTER_PEN_RADIUS; dy++) {
        int32_t h = 0;
        while ((h + 1) * (h + 1) + dy * dy <= r2) h++;
        bnn_spans[dy] = (int16_t)h;
    }
    bnn_spans_ready = 1;
}

/* Pair i as a point clamped to the panel; 0 for the pair that ends a stroke. */
static inline int bnn_raster_point(const bnn_raster_state_t *r, size_t i, int32_t *x, int32_t *y) {
    const uint32_t ux = bnn_raster_u16(r->pairs + 4 * i), uy = bnn_raster_u16(r->pairs + 4 * i + 2);
    if (ux == BNN_RASTER_PEN_UP && uy == BNN_RASTER_PEN_UP) return 0;
    *x = bnn_clamp((int32_t)ux, 0, r->max_x);
    *y = bnn_clamp((int32_t)uy, 0, r->max_y);
    return 1;
}

/* 1. The bounding box of the points, clamped to the panel. */
void bnn_raster_point_box(bnn_raster_state_t *r) {
    int32_t min_x = r->max_x + 1, min_y = r->max_y + 1, box_x = -1, box_y = -1, points = 0, x, y;
    for (size_t i = 0; i < r->n_pairs; i++) {
        if (!bnn_raster_point(r, i, &x, &y)) continue;
        if (x < min_x) min_x = x;
        if (x > box_x) box_x = x;
        if (y < min_y) min_y = y;
        if (y > box_y) box_y = y;
        points++;
    }
    r->min_x = min_x;
    r->min_y = min_y;
    r->box_x = box_x;
    r->box_y = box_y;
    r->points = points;
}

/* 2. Deskew: the shear of the first MOMENT_POINTS points' second moments (int64_t sums: exact). */
void bnn_raster_deskew_shear(bnn_raster_state_t *r) {
    int32_t q = 1, x, y;
    while (r->box_x - r->min_x > BNN_RASTER_MOMENT_RANGE * q || r->box_y - r->min_y > BNN_RASTER_MOMENT_RANGE * q) q *= 2;
    int64_t m = 0, sa = 0, sb = 0, sab = 0, sbb = 0;
    for (size_t i = 0; i < r->n_pairs && m < BNN_RASTER_MOMENT_POINTS; i++) {
        if (!bnn_raster_point(r, i, &x, &y)) continue;
        const int64_t da = bnn_floor_div(x - r->min_x, q);
        const int64_t db = bnn_floor_div(y - r->min_y, q);
        sa += da;
        sb += db;
        sab += da * db;
        sbb += db * db;
        m++;
    }
    const int64_t cov = m * sab - sa * sb, var_y = m * sbb - sb * sb;
    r->shear = var_y > 0 ? (int32_t)bnn_clamp64(bnn_floor_div64(2 * BNN_RASTER_SHEAR_ONE * cov + var_y, 2 * var_y)) : 0;
}

/* 3. The box of the sheared points: its x range, its height, the longer side the scale maps to SPAN. */
void bnn_raster_sheared_box(bnn_raster_state_t *r) {
    int32_t low_x = INT32_MAX, high_x = -INT32_MAX, x, y;
    for (size_t i = 0; i < r->n_pairs; i++) {
        if (!bnn_raster_point(r, i, &x, &y)) continue;
        const int32_t sx = BNN_RASTER_SHEAR_ONE * (x - r->min_x) - r->shear * (y - r->min_y);
        if (sx < low_x) low_x = sx;
        if (sx > high_x) high_x = sx;
    }
    const int32_t wide_x = high_x - low_x, tall_y = BNN_RASTER_SHEAR_ONE * (r->box_y - r->min_y);
    int32_t side = wide_x > tall_y ? wide_x : tall_y;
    if (side < BNN_RASTER_SHEAR_ONE) side = BNN_RASTER_SHEAR_ONE;
    r->low_x = low_x;
    r->wide_x = wide_x;
    r->tall_y = tall_y;
    r->side = side;
    r->box_width = bnn_floor_div(2 * wide_x + BNN_RASTER_SHEAR_ONE, 2 * BNN_RASTER_SHEAR_ONE);
}

/*
 * The walk over the disc centres, fine units before the move: each point at
 * round((X - low_x) * SPAN / side), round(Y * SPAN / side), and between two points of a stroke the
 * centres at most STEP apart; at most MAX_DISCS. Step 4 sums them and step 6 draws them, each
 * walking them from the pairs with bnn_raster_next_centre: walking twice costs less RAM than
 * keeping them (2 x 1,200 bytes for 600 centres, on a touch-only service whose RAM is otherwise
 * some 1.7 KB). stroke-raster-steps.ts walks them the same way, written out in both steps (a
 * call per centre costs its VM more than the walk). The walk copies the state's fields it reads
 * into a local: a store to rows[] in step 6 cannot change them for all gcc knows.
 */
typedef struct {
    const uint8_t *pairs;
    size_t n_pairs, i;        /* the pairs and the next one to read */
    int32_t max_x, max_y, min_x, min_y, shear, low_x, side;
    int32_t n;                /* centres given */
    int32_t px, py;           /* the last point's centre; px < 0: a stroke starts */
    int32_t fx, fy, dx, dy;   /* the point read, and its distance from the last */
    int32_t t, k;             /* centres t..k of the way to it come next: k - 1 in between, then the point */
} bnn_raster_walk_t;

/*
 * round(v * SPAN / side) for 0 <= v <= side (the fine coordinate of a sheared coordinate v after
 * the box's corner), floor((2 SPAN v + side) / (2 side)): in 32 bits when (2 SPAN + 1) side fits
 * (a drawing up to some 30,000 panel units wide or tall), which ARMv6-M divides several times
 * faster than libgcc's 64-bit division; in 64 bits above that. The same value as the
 * TypeScript's division of doubles (exact below 2^53) either way.
 */
static inline int32_t bnn_raster_fine(int64_t v, int32_t side) {
    if (side <= (int32_t)(UINT32_MAX / (2 * BNN_RASTER_SPAN + 1)))
        return (int32_t)((2u * BNN_RASTER_SPAN * (uint32_t)v + (uint32_t)side) / (2u * (uint32_t)side));
    return (int32_t)bnn_floor_div64(2 * v * BNN_RASTER_SPAN + side, 2 * (int64_t)side);
}

static inline void bnn_raster_walk_start(bnn_raster_walk_t *w, const bnn_raster_state_t *r) {
    w->pairs = r->pairs;
    w->n_pairs = r->n_pairs;
    w->i = 0;
    w->max_x = r->max_x;
    w->max_y = r->max_y;
    w->min_x = r->min_x;
    w->min_y = r->min_y;
    w->shear = r->shear;
    w->low_x = r->low_x;
    w->side = r->side;
    w->n = 0;
    w->px = w->py = -1;
    w->fx = w->fy = w->dx = w->dy = 0;
    w->t = 1;
    w->k = 0;
}

/* The next disc centre into *cx, *cy: 1, or 0 when there are no more (MAX_DISCS given, or the pairs read). */
static inline int bnn_raster_next_centre(bnn_raster_walk_t *w, int32_t *cx, int32_t *cy) {
    if (w->n >= BNN_RASTER_MAX_DISCS) return 0;
    while (w->t > w->k) {
        if (w->i >= w->n_pairs) return 0;
        const uint8_t *p = w->pairs + 4 * w->i++;
        const uint32_t ux = bnn_raster_u16(p), uy = bnn_raster_u16(p + 2);
        if (ux == BNN_RASTER_PEN_UP && uy == BNN_RASTER_PEN_UP) {
            w->px = w->py = -1; /* a new stroke */
            continue;
        }
        const int32_t x = bnn_clamp((int32_t)ux, 0, w->max_x), y = bnn_clamp((int32_t)uy, 0, w->max_y);
        w->fx = bnn_raster_fine((int64_t)BNN_RASTER_SHEAR_ONE * (x - w->min_x) - (int64_t)w->shear * (y - w->min_y) - w->low_x, w->side);
        w->fy = bnn_raster_fine((int64_t)BNN_RASTER_SHEAR_ONE * (y - w->min_y), w->side);
        w->t = 1;
        w->k = 1; /* a stroke's first point: itself alone */
        if (w->px >= 0) {
            /* from the last point (given) to this one: k - 1 centres in between, then this one (none if it did not move) */
            w->dx = w->fx - w->px;
            w->dy = w->fy - w->py;
            const int32_t adx = w->dx < 0 ? -w->dx : w->dx, ady = w->dy < 0 ? -w->dy : w->dy;
            w->k = bnn_floor_div((adx > ady ? adx : ady) + BNN_RASTER_STEP - 1, BNN_RASTER_STEP);
        }
    }
    const int32_t t = w->t++;
    if (t < w->k) {
        /* round(p + d * t / k), d may be negative */
        *cx = w->px + bnn_floor_div(2 * w->dx * t + w->k, 2 * w->k);
        *cy = w->py + bnn_floor_div(2 * w->dy * t + w->k, 2 * w->k);
    } else {
        *cx = w->px = w->fx;
        *cy = w->py = w->fy;
    }
    w->n++;
    return 1;
}

/* 4. The disc centres (the walk above), their number and their sums. */
void bnn_raster_disc_centres(bnn_raster_state_t *r) {
    bnn_raster_walk_t w;
    int32_t sum_x = 0, sum_y = 0, x, y;
    bnn_raster_walk_start(&w, r);
    while (bnn_raster_next_centre(&w, &x, &y)) {
        sum_x += x;
        sum_y += y;
    }
    r->discs = w.n;
    r->sum_x = sum_x;
    r->sum_y = sum_y;
}

/* 5. The move: the centre of mass to CENTRE, kept inside the grid (pen included). */
void bnn_raster_place_centre(bnn_raster_state_t *r) {
    const int32_t n = r->discs;
    const int64_t side = r->side;
    const int32_t extent_x = (int32_t)bnn_floor_div64(2 * (int64_t)r->wide_x * BNN_RASTER_SPAN + side, 2 * side);
    const int32_t extent_y = (int32_t)bnn_floor_div64(2 * (int64_t)r->tall_y * BNN_RASTER_SPAN + side, 2 * side);
    const int32_t last_fine = BNN_RASTER_SIDE * BNN_RASTER_FINE - 1;
    const int32_t off_x = BNN_RASTER_CENTRE - bnn_floor_div(2 * r->sum_x + n, 2 * n);
    const int32_t off_y = BNN_RASTER_CENTRE - bnn_floor_div(2 * r->sum_y + n, 2 * n);
    r->off_x = bnn_clamp(off_x, BNN_RASTER_PEN_RADIUS, last_fine - BNN_RASTER_PEN_RADIUS - extent_x);
    r->off_y = bnn_clamp(off_y, BNN_RASTER_PEN_RADIUS, last_fine - BNN_RASTER_PEN_RADIUS - extent_y);
}

/* 6. Draws the discs, walking their centres again (see bnn_raster_walk_t): per disc and pen row, one span of columns ORed into the row's bits. */
void bnn_raster_draw_discs(const bnn_raster_state_t *r, uint32_t rows[BNN_RASTER_SIDE]) {
    /* locals, as in the TypeScript: a store to rows[] might change *r for all gcc knows */
    const int32_t off_x = r->off_x, off_y = r->off_y;
    bnn_raster_walk_t w;
    int32_t x, y;
    if (!bnn_spans_ready) bnn_raster_spans(); /* made on the first use */
    for (int32_t row = 0; row < BNN_RASTER_SIDE; row++) rows[row] = 0;
    bnn_raster_walk_start(&w, r);
    while (bnn_raster_next_centre(&w, &x, &y)) {
        const int32_t cx = x + off_x, cy = y + off_y;
        int32_t r0 = bnn_floor_div(cy - BNN_RASTER_PEN_RADIUS - 8 + BNN_RASTER_FINE - 1, BNN_RASTER_FINE);
        int32_t r1 = bnn_floor_div(cy + BNN_RASTER_PEN_RADIUS - 8, BNN_RASTER_FINE);
        if (r0 < 0) r0 = 0;
        if (r1 > BNN_RASTER_SIDE - 1) r1 = BNN_RASTER_SIDE - 1;
        for (int32_t row = r0; row <= r1; row++) {
            const int32_t dyc = row * BNN_RASTER_FINE + 8 - cy;
            const int32_t h = bnn_spans[dyc < 0 ? -dyc : dyc];
            int32_t c0 = bnn_floor_div(cx - h - 8 + BNN_RASTER_FINE - 1, BNN_RASTER_FINE);
            int32_t c1 = bnn_floor_div(cx + h - 8, BNN_RASTER_FINE);
            if (c0 < 0) c0 = 0;
            if (c1 > BNN_RASTER_SIDE - 1) c1 = BNN_RASTER_SIDE - 1;
            if (c0 <= c1) rows[row] |= (((uint32_t)1 << (c1 + 1)) - 1u) ^ (((uint32_t)1 << c0) - 1u);
        }
    }
}

/* 7. Packs the rows into the input words (out is all 0); returns the number of ink pixels. */
int32_t bnn_raster_pack_rows(const uint32_t rows[BNN_RASTER_SIDE], uint32_t out[BNN_RASTER_WORDS]) {
    int32_t ink = 0;
    for (int32_t r = 0; r < BNN_RASTER_SIDE; r++) {
        const uint32_t row = rows[r];
        if (row == 0) continue;
        ink += bnn_bit_count(row);
        const int32_t e = r * BNN_RASTER_SIDE, w = e >> 5, lo = e & 31;
        out[w] |= row << lo;
        if (lo > 32 - BNN_RASTER_SIDE) out[w + 1] |= row >> (32 - lo);
    }
    return ink;
}
