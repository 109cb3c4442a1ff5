/*
 * bnn_preprocess.c: the C port of src/shared/camera-preprocess.ts (see bnn_preprocess.h): the
 * pipeline, which calls the steps of bnn_preprocess_ink.c (1-3) and bnn_preprocess_geometry.c
 * (4-7); what they share is in bnn_preprocess_state.h. What follows holds for all three files.
 *
 * Exactness. The TypeScript computes in doubles, but every value it forms is an integer below
 * 2^53 and every division is Math.floor of a quotient, so it is exact integer arithmetic; the
 * C forms the same integers in types wide enough for them (bounds for n = width * height <=
 * 65535 pixels in the comments) and divides with operands that are never negative, where C's
 * `/` is the floor. The one quotient that can be negative (the placement, step 7) is clamped
 * to 0 by the TypeScript whenever it is, which `place` (bnn_preprocess_geometry.c) does
 * without dividing. Where the C computes differently (no per-row or per-column arrays, an ink
 * table, fused resampling passes, quotients kept by stepping instead of dividing), the comment
 * there says why it gives the same integers.
 *
 * Memory: no array depends on the frame size. The TypeScript's rowInk[height] and
 * colInk[width] become scans that stop at MIN_LINE_INK; its rows[bh * tw] and patch[tw * th]
 * become one resampled source row and one open output row of at most BOX_SIDE entries, the
 * finished output bytes being staged in `out` itself.
 */
#include "bnn_preprocess_state.h"

static bnn_preprocess_scratch_t bnn_preprocess_static_scratch;

static void zero_out(uint8_t *out) {
    uint32_t i;
    for (i = 0; i < BNN_PREPROCESS_OUT_PIXELS; i++) out[i] = 0;
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
    lv = bnn_preprocess_histogram_levels(&p, scratch->level.hist);
    /* paper >= ink: the paper class's pixels are all above the ink class's */
    if (lv.threshold < 0 || lv.paper - lv.ink < BNN_PREPROCESS_MIN_CONTRAST) goto no_digit;
    p.t = (uint32_t)lv.threshold;
    if (!bnn_preprocess_ink_box(&p)) goto no_digit;
    bnn_preprocess_ink_table(scratch->level.ink, &lv);
    bnn_preprocess_deskew_shear(&p, scratch->level.ink);
    if (!bnn_preprocess_sheared_box(&p)) goto no_digit;
    bnn_preprocess_resample_box(&p, scratch->level.ink, scratch, out);
    if (p.mass == 0) goto no_digit;
    bnn_preprocess_place_centre(&p, out);
    return (int32_t)p.ink_count;
no_digit:
    zero_out(out);
    return 0;
}
