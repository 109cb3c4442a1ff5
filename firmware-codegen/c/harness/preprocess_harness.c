/*
 * The preprocessing harness (bnn_harness_run for host_main.c and semihost_main.c): reads
 * records and writes, per record, the int32 result of the call and the 784 output bytes, so
 * tests/preprocess-c.test.ts compares them with src/shared/camera-preprocess.ts.
 *
 * Record: int32 width, int32 height, uint32 flags (little-endian), then the width * height frame
 * bytes when 1 <= width, 1 <= height and width * height <= BNN_PREPROCESS_MAX_PIXELS (none
 * otherwise: the call must refuse the sizes before reading). Flags: bit 0 passes frame = NULL,
 * bit 1 out = NULL, bit 2 calls bnn_preprocess_frame_scratch with the harness's scratch (filled
 * with garbage first), bit 3 the same with scratch = NULL. `out` is filled with 0xA5 before each
 * call, so a refused call shows that it wrote nothing. The frame is read into the end of the
 * buffer, so that under ASan a read past its last pixel leaves the buffer.
 */
#include "harness.h"

#include "bnn_preprocess.h"

/* The frame buffer; smaller on the micro:bit (16 KB of RAM), whose frames the test limits. */
#ifndef BNN_HARNESS_FRAME_BYTES
#define BNN_HARNESS_FRAME_BYTES BNN_PREPROCESS_MAX_PIXELS
#endif

static uint8_t frame[BNN_HARNESS_FRAME_BYTES];
static uint8_t out[BNN_PREPROCESS_OUT_PIXELS];
static bnn_preprocess_scratch_t scratch;

static int32_t le32(const uint8_t *b) {
    return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
}

int bnn_harness_run(void) {
    uint8_t header[12];
    for (;;) {
        size_t got = bnn_io_read(header, sizeof header);
        int32_t width, height, rc;
        uint32_t flags, bytes = 0, i;
        uint8_t *f = frame;
        uint8_t result[4];
        if (got == 0) return 0;
        if (got != sizeof header) return 1;
        width = le32(header);
        height = le32(header + 4);
        flags = (uint32_t)le32(header + 8);
        if (width >= 1 && height >= 1 && width <= BNN_PREPROCESS_MAX_PIXELS && height <= BNN_PREPROCESS_MAX_PIXELS &&
            (uint32_t)width * (uint32_t)height <= BNN_PREPROCESS_MAX_PIXELS) {
            bytes = (uint32_t)width * (uint32_t)height;
            if (bytes > BNN_HARNESS_FRAME_BYTES) return 1;
            f = frame + (BNN_HARNESS_FRAME_BYTES - bytes);
            if (bnn_io_read(f, bytes) != bytes) return 1;
        }
        for (i = 0; i < BNN_PREPROCESS_OUT_PIXELS; i++) out[i] = 0xA5;
        if (flags & 12u) {
            uint8_t *s = (uint8_t *)&scratch;
            for (i = 0; i < sizeof scratch; i++) s[i] = (uint8_t)(i * 37u + 11u);
            rc = bnn_preprocess_frame_scratch(flags & 1u ? NULL : f, (int)width, (int)height, flags & 2u ? NULL : out, flags & 8u ? NULL : &scratch);
        } else {
            rc = bnn_preprocess_frame(flags & 1u ? NULL : f, (int)width, (int)height, flags & 2u ? NULL : out);
        }
        for (i = 0; i < 4; i++) result[i] = (uint8_t)((uint32_t)rc >> (8 * i));
        if (bnn_io_write(result, sizeof result)) return 1;
        if (bnn_io_write(out, sizeof out)) return 1;
    }
}
