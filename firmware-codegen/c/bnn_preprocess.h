/*
 * bnn_preprocess.h: camera frame -> 28x28 MNIST-style digit, the C port of
 * src/shared/camera-preprocess.ts (the reference). Same steps, same integers: the 784 output
 * bytes and the returned ink count are byte-identical to the TypeScript's for every frame
 * (tests/preprocess-c.test.ts compares them on the host, under ASan/UBSan, and on Cortex-M0).
 *
 * The steps are camera-preprocess.ts's, as functions of the same names (prefixed
 * bnn_preprocess_) in the same order, called by bnn_preprocess.c: 1-3 in bnn_preprocess_ink.c,
 * 4-7 in bnn_preprocess_geometry.c (the state they hand on: bnn_preprocess_state.h). Build all
 * three .c files.
 *  1. histogram_levels: Otsu threshold t on the 256-bin histogram (class means in quarter grey
 *     levels): pixel p is ink when p <= t; ink mean `lo` and paper mean of the two classes
 *     (floored). paper - lo < BNN_PREPROCESS_MIN_CONTRAST, or one grey level only: no digit.
 *  2. ink_box: the rows and columns holding >= BNN_PREPROCESS_MIN_LINE_INK ink pixels.
 *  3. ink_table: v = 255 at or below lo, 0 at or above knee = t + (paper - t) / 2, linear between.
 *  4. deskew_shear: the shear that makes the ink's second moments upright.
 *  5. sheared_box: the box's rows shifted by whole pixels by it, its columns found again.
 *  6. resample_box: area-averaging resample of the box's v to tw x th, max(tw, th) =
 *     BNN_PREPROCESS_BOX_SIDE, rounded, and its centre of mass.
 *  7. place_centre: rounded placement of the centre of mass at (BNN_PREPROCESS_CENTRE,
 *     BNN_PREPROCESS_CENTRE).
 *
 * C99, no malloc, no floats, only <stdint.h> and <stddef.h>. Frames of up to
 * BNN_PREPROCESS_MAX_PIXELS pixels (16384 by default, the camera service's MAX_FRAME_BYTES in
 * src/shared/camera-chunks.ts; a build may set 1..65535). Scratch memory: one
 * bnn_preprocess_scratch_t (672 bytes, independent of the frame size), static in
 * bnn_preprocess_frame or the caller's in bnn_preprocess_frame_scratch. The output buffer also
 * serves as the staging area of the resampled patch, so `frame` and `out` must not overlap.
 */
#ifndef BNN_PREPROCESS_H
#define BNN_PREPROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "bnn_status.h"

#define BNN_PREPROCESS_OUT_SIDE 28
#define BNN_PREPROCESS_OUT_PIXELS 784
#define BNN_PREPROCESS_BOX_SIDE 20
#define BNN_PREPROCESS_CENTRE 14
#define BNN_PREPROCESS_MIN_CONTRAST 40
#define BNN_PREPROCESS_MIN_LINE_INK 2
/* Deskew (steps 4-5): fixed-point one of the shear, its limit either way, the moment sums' bound. */
#define BNN_PREPROCESS_SHEAR_ONE 256
#define BNN_PREPROCESS_SHEAR_MAX 128
#define BNN_PREPROCESS_MOMENT_LIMIT ((int64_t)1 << 40)
#define BNN_PREPROCESS_MOMENT_RANGE 127

#ifndef BNN_PREPROCESS_MAX_PIXELS
#define BNN_PREPROCESS_MAX_PIXELS 16384
#endif
#if BNN_PREPROCESS_MAX_PIXELS < 1 || BNN_PREPROCESS_MAX_PIXELS > 65535
/* histogram bins are uint16_t; every intermediate sum is then below 2^32 */
#error "BNN_PREPROCESS_MAX_PIXELS must be 1..65535"
#endif

/* Working memory of one call; its contents between calls do not matter. */
typedef struct {
    union {
        uint16_t hist[256]; /* step 1: the histogram */
        uint8_t ink[256];   /* steps 3-6: v per grey level */
    } level;
    uint32_t row[BNN_PREPROCESS_BOX_SIDE]; /* one source row resampled to tw columns */
    uint32_t acc[BNN_PREPROCESS_BOX_SIDE]; /* the output row still receiving source rows */
} bnn_preprocess_scratch_t;

/*
 * Turns the width x height frame (row-major, 0 = black, 255 = white: dark ink on bright paper)
 * into a 28x28 digit in out[0..783] (0 = background, 255 = ink). Returns the number of ink
 * pixels in the frame's bounding box, 0 when the frame shows no digit (out is then all 0), or
 * a negative bnn_status_t before reading or writing anything:
 *   BNN_ERR_NULL  frame or out is NULL
 *   BNN_ERR_SIZE  width < 1 or height < 1
 *   BNN_ERR_LIMIT width * height > BNN_PREPROCESS_MAX_PIXELS
 * Not reentrant (static scratch); use bnn_preprocess_frame_scratch for that.
 */
int32_t bnn_preprocess_frame(const uint8_t *frame, int width, int height, uint8_t out[BNN_PREPROCESS_OUT_PIXELS]);

/* The same with the caller's scratch memory (BNN_ERR_NULL when scratch is NULL). */
int32_t bnn_preprocess_frame_scratch(const uint8_t *frame, int width, int height, uint8_t out[BNN_PREPROCESS_OUT_PIXELS], bnn_preprocess_scratch_t *scratch);

#endif /* BNN_PREPROCESS_H */
