/*
 * bnn_preprocess_state.h: what the camera preprocessing's pipeline (bnn_preprocess.c) and its
 * steps (bnn_preprocess_ink.c: steps 1-3, bnn_preprocess_geometry.c: steps 4-7) share, and no
 * part of the library's interface (bnn_preprocess.h): the state one call hands from step to step
 * and the steps, each called once a frame. The twin of src/shared/camera-preprocess-state.ts.
 * The steps have the names of camera-preprocess.ts's (histogramLevels: histogram_levels, ...),
 * prefixed bnn_preprocess_ as they are seen by the linker.
 */
#ifndef BNN_PREPROCESS_STATE_H
#define BNN_PREPROCESS_STATE_H

#include "bnn_preprocess.h"

#define OUT_SIDE BNN_PREPROCESS_OUT_SIDE
#define BOX_SIDE BNN_PREPROCESS_BOX_SIDE
#define CENTRE BNN_PREPROCESS_CENTRE
#define MIN_LINE_INK BNN_PREPROCESS_MIN_LINE_INK

/* Step 1's finding. */
typedef struct {
    int32_t threshold; /* -1: one grey level */
    uint32_t ink;
    uint32_t paper;
} levels_t;

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

/*
 * What the steps hand on besides the ink table, each filling its part (camera-preprocess-state.ts's
 * Prep; the row shifts are stepped, not stored, and the patch is staged in out).
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

/* The steps, in the order bnn_preprocess_frame_scratch calls them. */
levels_t bnn_preprocess_histogram_levels(const prep_t *p, uint16_t *hist);
int bnn_preprocess_ink_box(prep_t *p);
void bnn_preprocess_ink_table(uint8_t *ink, const levels_t *lv);
void bnn_preprocess_deskew_shear(prep_t *p, const uint8_t *ink);
int bnn_preprocess_sheared_box(prep_t *p);
void bnn_preprocess_resample_box(prep_t *p, const uint8_t *ink, bnn_preprocess_scratch_t *scratch, uint8_t *out);
void bnn_preprocess_place_centre(const prep_t *p, uint8_t *out);

#endif /* BNN_PREPROCESS_STATE_H */
