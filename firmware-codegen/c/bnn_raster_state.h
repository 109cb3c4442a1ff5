/*
 * bnn_raster_state.h: what the stroke rasterizer's pipeline (bnn_raster.c) and its steps
 * (bnn_raster_steps.c) share, and no part of its interface (bnn_raster.h): the state one call
 * hands from step to step and the steps, each called once a raster. The twin of
 * src/shared/stroke-raster-state.ts. The steps have the names of stroke-raster-steps.ts's
 * (pointBox: point_box, ...), prefixed bnn_raster_ as they are seen by the linker.
 */
#ifndef BNN_RASTER_STATE_H
#define BNN_RASTER_STATE_H

#include "bnn_raster.h"

/*
 * What the steps hand on, each filling its part: stroke-raster-state.ts's Raster, with the
 * strokes (the TypeScript passes them as an argument). The disc centres are in no state: steps 4
 * and 6 each walk them from the pairs (bnn_raster_walk_t of bnn_raster_steps.c). Points are
 * clamped to 0..max_x, 0..max_y; sheared coordinates are in 1/SHEAR_ONE panel units.
 */
typedef struct {
    const uint8_t *pairs;
    size_t n_pairs;
    int32_t max_x, max_y;
    int32_t min_x, min_y, box_x, box_y, points; /* 1. point_box */
    int32_t shear;                               /* 2. deskew_shear */
    int32_t low_x, wide_x, tall_y, side, box_width; /* 3. sheared_box */
    int32_t discs, sum_x, sum_y;                 /* 4. disc_centres */
    int32_t off_x, off_y;                        /* 5. place_centre */
} bnn_raster_state_t;

/* The longer side of the box, pen excluded, in fine units: where `side` maps to. */
#define BNN_RASTER_SPAN (BNN_RASTER_BOX_PIXELS * BNN_RASTER_FINE - 2 * BNN_RASTER_PEN_RADIUS)

/* The steps, in the order bnn_raster_strokes calls them. */
void bnn_raster_point_box(bnn_raster_state_t *r);
void bnn_raster_deskew_shear(bnn_raster_state_t *r);
void bnn_raster_sheared_box(bnn_raster_state_t *r);
void bnn_raster_disc_centres(bnn_raster_state_t *r);
void bnn_raster_place_centre(bnn_raster_state_t *r);
void bnn_raster_draw_discs(const bnn_raster_state_t *r, uint32_t rows[BNN_RASTER_SIDE]);
int32_t bnn_raster_pack_rows(const uint32_t rows[BNN_RASTER_SIDE], uint32_t out[BNN_RASTER_WORDS]);

#endif /* BNN_RASTER_STATE_H */
