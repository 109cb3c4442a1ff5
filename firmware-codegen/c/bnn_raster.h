/*
 * bnn_raster.h: touch strokes -> the network's 28x28 input bits, in the firmware. The C twin of
 * src/shared/stroke-raster.ts (the reference), step for step and bit for bit: the same step
 * functions in the same order (point_box, deskew_shear, sheared_box, disc_centres, place_centre,
 * draw_discs, pack_rows for pointBox ... packRows, prefixed bnn_raster_ in bnn_raster_steps.c;
 * bnn_raster.c calls them: build both .c files), the same integers, every division floored
 * (bnn_floor_div), the same caps. Read that file for the method; tests/raster-c.test.ts checks
 * the two agree on fixtures and on random strokes.
 *
 * Strokes arrive as the classifier service's upload (services/bnnclassifier.md): u16 pairs
 * x, y, little-endian, in panel coordinates; the pair 0xffff, 0xffff ends a stroke.
 * Output: 25 words (element 28 r + c is bit e & 31 of word e >> 5), as bnn_classify takes them.
 * Deskew (step 2, deskew_shear) sums in int64_t, so any point count is exact.
 * No malloc. Static RAM: only the pen's table, 2 * (BNN_RASTER_PEN_RADIUS + 1) bytes and a flag,
 * made on the first call (not reentrant then); the disc centres (at most BNN_RASTER_MAX_DISCS)
 * are walked twice from the pairs, not kept (bnn_raster_steps.c, bnn_raster_walk_t).
 */
#ifndef BNN_RASTER_H
#define BNN_RASTER_H

#include <stddef.h>
#include <stdint.h>

#include "bnn_status.h"

#define BNN_RASTER_SIDE 28
#define BNN_RASTER_WORDS 25
#define BNN_RASTER_FINE 16
#define BNN_RASTER_BOX_PIXELS 20
#define BNN_RASTER_PEN_RADIUS 22
#define BNN_RASTER_STEP 8
#define BNN_RASTER_CENTRE (14 * 16 + 8)
#define BNN_RASTER_MAX_DISCS 600
/* Deskew: fixed-point one of the shear, its limit either way, the moment sums' coordinate range. */
#define BNN_RASTER_SHEAR_ONE 256
#define BNN_RASTER_SHEAR_MAX 256
#define BNN_RASTER_MOMENT_RANGE 255
#define BNN_RASTER_MOMENT_POINTS 16384
/* A point pair that ends a stroke. */
#define BNN_RASTER_PEN_UP 0xffffu

typedef struct {
    int32_t points;     /* points read */
    int32_t box_width;  /* bounding box of the deskewed points, panel units; -1 with no points */
    int32_t box_height;
    int32_t discs;      /* pen discs drawn */
    int32_t ink;        /* ink pixels set */
} bnn_raster_info_t;

/*
 * Rasterizes the strokes in `pairs` (n_pairs u16 x, y pairs as bytes, little-endian) drawn on a
 * panel_width x panel_height panel into out. Returns BNN_OK, or BNN_ERR_NULL / BNN_ERR_SIZE
 * (panel sides 1..65535) before touching anything.
 */
int bnn_raster_strokes(const uint8_t *pairs, size_t n_pairs, int32_t panel_width, int32_t panel_height, uint32_t out[BNN_RASTER_WORDS], bnn_raster_info_t *info);

#endif /* BNN_RASTER_H */
