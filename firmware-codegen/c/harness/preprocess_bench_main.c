/*
 * Instruction-count build of the preprocessing: runs bnn_preprocess_frame on every record of
 * bnn_in.bin (preprocess_harness.c's format, flags 0, read through semihosting). The count of a
 * run with N frames minus that of a run with none is the cost of those N calls (and of two
 * semihosting reads per frame, a few instructions).
 */
#include "bnn_preprocess.h"
#include "semihost.h"

/* the micro:bit's 16 KB of RAM hold no 16384-byte frame; the camera's frames are 3072 bytes */
#ifndef BNN_HARNESS_FRAME_BYTES
#define BNN_HARNESS_FRAME_BYTES 4096
#endif

static uint8_t frame[BNN_HARNESS_FRAME_BYTES];
static uint8_t out[BNN_PREPROCESS_OUT_PIXELS];

int main(void) {
    intptr_t open_args[3] = {(intptr_t) "bnn_in.bin", 1, 10};
    intptr_t h = semihost_call(SH_SYS_OPEN, open_args);
    uint8_t header[12];
    int bad = 0;
    if (h < 0) return 1;
    for (;;) {
        intptr_t read_args[3] = {h, (intptr_t)header, sizeof header};
        uint32_t width, height;
        if (semihost_call(SH_SYS_READ, read_args) != 0) break;
        width = (uint32_t)header[0] | (uint32_t)header[1] << 8;
        height = (uint32_t)header[4] | (uint32_t)header[5] << 8;
        if (width * height > sizeof frame) return 1;
        read_args[1] = (intptr_t)frame;
        read_args[2] = (intptr_t)(width * height);
        if (semihost_call(SH_SYS_READ, read_args) != 0) return 1;
        bad |= bnn_preprocess_frame(frame, (int)width, (int)height, out) < 0;
    }
    return bad;
}
