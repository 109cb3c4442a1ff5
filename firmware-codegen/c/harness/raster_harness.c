/*
 * The rasterizer harness: runs the firmware's stroke rasterizer on records read through
 * bnn_io_read, so a test compares it with the TypeScript reference byte for byte.
 *
 * Record: u8 kind, then
 *   kind 1 (strokes): u16 panel_width, u16 panel_height, u16 n_pairs, then n_pairs u16 x, y pairs
 *                     (little-endian; 0xffff, 0xffff ends a stroke);
 *                     writes the 25 input words, then points, box_width, box_height, discs, ink
 *                     as int32 (or a single int32 status < 0).
 * All values little-endian. Input ends at the end of the file.
 */
#include "bnn_raster.h"
#include "harness.h"

#define BNN_HARNESS_MAX_PAIRS 1024 /* 4 KB: the micro:bit machine has 16 KB of RAM */
static uint8_t bnn_pairs[4 * BNN_HARNESS_MAX_PAIRS];

static int read_exact(void *buf, size_t len) { return bnn_io_read(buf, len) == len; }

static uint32_t u16le(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }

int bnn_harness_run(void) {
    for (;;) {
        uint8_t kind;
        if (bnn_io_read(&kind, 1) != 1) return 0;
        if (kind == 1) {
            uint8_t head[6];
            if (!read_exact(head, sizeof head)) return 1;
            uint32_t n = u16le(head + 4);
            if (n > BNN_HARNESS_MAX_PAIRS || (n && !read_exact(bnn_pairs, 4 * (size_t)n))) return 1;
            uint32_t words[BNN_RASTER_WORDS];
            bnn_raster_info_t info;
            int32_t status = bnn_raster_strokes(bnn_pairs, n, (int32_t)u16le(head), (int32_t)u16le(head + 2), words, &info);
            if (status != BNN_OK) {
                if (bnn_io_write(&status, sizeof status)) return 1;
                continue;
            }
            int32_t tail[5] = {info.points, info.box_width, info.box_height, info.discs, info.ink};
            if (bnn_io_write(words, sizeof words) || bnn_io_write(tail, sizeof tail)) return 1;
        } else {
            return 1;
        }
    }
}
