/*
 * bnn_raster.c: see bnn_raster.h. The pipeline of src/shared/stroke-raster.ts: its steps, the
 * functions of stroke-raster-steps.ts under the same names (snake_case, prefixed bnn_raster_)
 * and numbers, are in bnn_raster_steps.c and called here in the same order; what they share is
 * in bnn_raster_state.h.
 */
#include "bnn_raster_state.h"

/* The steps of stroke-raster.ts's rasterizeBits, in its order (bnn_raster_steps.c). */
int bnn_raster_strokes(const uint8_t *pairs, size_t n_pairs, int32_t panel_width, int32_t panel_height, uint32_t out[BNN_RASTER_WORDS], bnn_raster_info_t *info) {
    BNN_PRECONDITION(out != NULL && info != NULL && (pairs != NULL || n_pairs == 0), BNN_ERR_NULL);
    BNN_PRECONDITION(panel_width >= 1 && panel_width <= 65535 && panel_height >= 1 && panel_height <= 65535, BNN_ERR_SIZE);
    for (int w = 0; w < BNN_RASTER_WORDS; w++) out[w] = 0;
    bnn_raster_state_t r;
    r.pairs = pairs;
    r.n_pairs = n_pairs;
    r.max_x = panel_width - 1;
    r.max_y = panel_height - 1;
    bnn_raster_point_box(&r);
    info->points = r.points;
    info->discs = 0;
    info->ink = 0;
    if (r.points == 0) {
        info->box_width = -1;
        info->box_height = -1;
        return BNN_OK;
    }
    bnn_raster_deskew_shear(&r);
    bnn_raster_sheared_box(&r);
    bnn_raster_disc_centres(&r);
    bnn_raster_place_centre(&r);
    uint32_t rows[BNN_RASTER_SIDE];
    bnn_raster_draw_discs(&r, rows);
    info->ink = bnn_raster_pack_rows(rows, out);
    info->discs = r.discs;
    info->box_width = r.box_width;
    info->box_height = r.box_y - r.min_y;
    return BNN_OK;
}
