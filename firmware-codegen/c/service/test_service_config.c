/*
 * test_service_config.c: the service's unit test (test_service.c) of the build's configuration
 * (bnn_service.h: BNN_SERVICE_STROKES, BNN_SERVICE_FRAMES, BNN_SERVICE_UPLOAD_BYTES). A command
 * the build leaves out answers BNN_SERVICE_NOT_IMPLEMENTED and writes nothing, exactly as an
 * unknown command does (the adapter then sends jacdac's command_not_implemented); a served one
 * never does; upload_capacity is TEST_UPLOAD_CAPACITY, the capacity the test was told to expect.
 * tests/service.test.ts builds the test once per configuration, linking only the C the
 * configuration needs (bnn_raster.c for strokes, bnn_preprocess.c for frames): a left-out
 * command's C is not referenced.
 */
#include <stdint.h>
#include <string.h>

#include "bnn_model.h"
#include "bnn_service.h"
#include "test_check.h"

#ifndef TEST_UPLOAD_CAPACITY
#define TEST_UPLOAD_CAPACITY 4096 /* the default build: strokes and frames */
#endif

static uint8_t config_cmd[BNN_SERVICE_MAX_PACKET_BYTES];
static uint8_t config_rep[BNN_SERVICE_MAX_PACKET_BYTES];

/* Sends cmd with a payload of len bytes that would pass the command's first checks. */
static int config_send(unsigned cmd, size_t len) {
    memset(config_cmd, 0, sizeof config_cmd);
    bnn_service_put_u32le(config_cmd + BNN_SERVICE_CMD_OFF_MODEL_ID, BNN_MODEL_ID32);
    bnn_service_put_u32le(config_cmd + BNN_SERVICE_CMD_OFF_SEQ, 77);
    memset(config_rep, CANARY, sizeof config_rep);
    return bnn_service_command(cmd, config_cmd, len, config_rep, sizeof config_rep, NULL);
}

static void check_untouched(void) {
    for (size_t i = 0; i < sizeof config_rep; i++) CHECK_EQ(config_rep[i], CANARY);
}

void test_config(void) {
    const struct {
        unsigned cmd;
        size_t len;
        int served;
    } cmds[] = {
        {BNN_SERVICE_CMD_CLASSIFY, BNN_SERVICE_PAYLOAD_BYTES, 1},
        {BNN_SERVICE_CMD_LOAD, BNN_SERVICE_LOAD_OFF_DATA + 4, BNN_SERVICE_STROKES || BNN_SERVICE_FRAMES},
        {BNN_SERVICE_CMD_CLASSIFY_STROKES, BNN_SERVICE_STROKES_BYTES, BNN_SERVICE_STROKES},
        {BNN_SERVICE_CMD_CLASSIFY_FRAME, BNN_SERVICE_FRAME_BYTES, BNN_SERVICE_FRAMES},
        {BNN_SERVICE_CMD_WATCH_FRAME, BNN_SERVICE_WATCH_BYTES, BNN_SERVICE_FRAMES},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        int n = config_send(cmds[i].cmd, cmds[i].len);
        if (cmds[i].served) {
            CHECK(n >= 0);
        } else {
            CHECK_EQ(n, BNN_SERVICE_NOT_IMPLEMENTED);
            check_untouched();
        }
        /* any payload, even none: a left-out command reads nothing */
        if (!cmds[i].served) CHECK_EQ(bnn_service_command(cmds[i].cmd, NULL, 0, NULL, 0, NULL), BNN_SERVICE_NOT_IMPLEMENTED);
    }
    /* unknown commands: the same answer as a left-out one, nothing written */
    const unsigned unknown[] = {0x00, 0x7f, 0x85, 0x90, 0xeff};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK_EQ(config_send(unknown[i], 16), BNN_SERVICE_NOT_IMPLEMENTED);
        check_untouched();
    }

    uint8_t out[4] = {0, 0, 0, 0};
    CHECK_EQ(bnn_service_get_register(BNN_SERVICE_REG_UPLOAD_CAPACITY, out, sizeof out), 2);
    CHECK_EQ(bnn_service_get_u16le(out), TEST_UPLOAD_CAPACITY);

    /* without frames, camera chunks are never taken, even after a watch_frame */
    if (!BNN_SERVICE_FRAMES) {
        uint8_t chunk[BNN_SERVICE_CHUNK_OFF_PIXELS + 4] = {0};
        (void)config_send(BNN_SERVICE_CMD_WATCH_FRAME, BNN_SERVICE_WATCH_BYTES); /* frame_id 77 */
        bnn_service_put_u32le(chunk + BNN_SERVICE_CHUNK_OFF_FRAME_ID, 77);
        CHECK_EQ(bnn_service_observe_report(BNN_SERVICE_CAMERA_CLASS, BNN_SERVICE_CAMERA_REPORT_FRAME_CHUNK, chunk, sizeof chunk), 0);
    }
}
