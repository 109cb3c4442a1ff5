/*
 * test_service_uploads.c: the service's unit test (test_service.c) of the upload commands:
 * strokes (classify_strokes) and camera frames (classify_frame, watch_frame with Digit Camera
 * chunks), uploaded with load in pieces, out of order and with pieces missing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnn_model.h"
#include "bnn_service.h"
#include "test_check.h"
#if BNN_SERVICE_STROKES
#include "bnn_raster.h"
#endif
#if BNN_SERVICE_FRAMES
#include "bnn_preprocess.h"
#endif

#if BNN_SERVICE_STROKES || BNN_SERVICE_FRAMES

static uint8_t cmd_buf[BNN_SERVICE_MAX_PACKET_BYTES];
static uint8_t rep_buf[BNN_SERVICE_MAX_PACKET_BYTES];

static void put_u16(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* Uploads data[0..n-1] for seq in pieces of `piece` bytes, skipping piece number `skip` (-1: none). */
static void upload(uint32_t seq, const uint8_t *data, size_t n, size_t piece, int skip) {
    int k = 0;
    for (size_t o = 0; o < n; o += piece, k++) {
        size_t m = n - o < piece ? n - o : piece;
        bnn_service_put_u32le(cmd_buf, seq);
        put_u16(cmd_buf + 4, (uint32_t)o);
        memcpy(cmd_buf + 6, data + o, m);
        if (k != skip) CHECK_EQ(bnn_service_command(BNN_SERVICE_CMD_LOAD, cmd_buf, 6 + m, rep_buf, sizeof rep_buf, NULL), 0);
    }
}

#if BNN_SERVICE_STROKES
static int strokes_cmd(uint32_t model, uint32_t seq, uint32_t w, uint32_t h, uint32_t pairs) {
    bnn_service_put_u32le(cmd_buf, model);
    bnn_service_put_u32le(cmd_buf + 4, seq);
    put_u16(cmd_buf + 8, w);
    put_u16(cmd_buf + 10, h);
    put_u16(cmd_buf + 12, pairs);
    memset(rep_buf, CANARY, sizeof rep_buf);
    return bnn_service_command(BNN_SERVICE_CMD_CLASSIFY_STROKES, cmd_buf, BNN_SERVICE_STROKES_BYTES, rep_buf, sizeof rep_buf, NULL);
}
#endif

#if BNN_SERVICE_FRAMES
static int frame_cmd(uint32_t model, uint32_t seq, uint32_t w, uint32_t h) {
    bnn_service_put_u32le(cmd_buf, model);
    bnn_service_put_u32le(cmd_buf + 4, seq);
    put_u16(cmd_buf + 8, w);
    put_u16(cmd_buf + 10, h);
    memset(rep_buf, CANARY, sizeof rep_buf);
    return bnn_service_command(BNN_SERVICE_CMD_CLASSIFY_FRAME, cmd_buf, BNN_SERVICE_FRAME_BYTES, rep_buf, sizeof rep_buf, NULL);
}
#endif

/* The report must hold exactly what bnn_classify says for words. */
static void check_ok_report(int n, uint32_t seq, const uint32_t *words) {
    int32_t scores[BNN_OUTPUTS];
    int digit = bnn_classify(words, BNN_INPUT_WORDS, scores, BNN_OUTPUTS);
    CHECK_EQ(n, BNN_SERVICE_REPORT_BYTES);
    CHECK_EQ(bnn_service_get_u32le(rep_buf), seq);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_OK);
    CHECK_EQ((int8_t)rep_buf[BNN_SERVICE_REP_OFF_DIGIT], digit);
    for (int j = 0; j < BNN_OUTPUTS; j++) CHECK_EQ((int32_t)bnn_service_get_u32le(rep_buf + BNN_SERVICE_REP_OFF_SCORES + 4 * j), scores[j]);
}

#endif

#if BNN_SERVICE_STROKES
void test_strokes(void) {
    /* a seven: two strokes of points on a 240 x 240 panel, with a repeated point */
    const uint32_t pts[] = {40, 60, 120, 60, 200, 60, 0xffff, 0xffff, 200, 60, 150, 140, 150, 140, 90, 220, 0xffff, 0xffff};
    const size_t pairs = sizeof pts / sizeof pts[0] / 2;
    uint8_t data[4 * 9];
    for (size_t i = 0; i < 2 * pairs; i++) put_u16(data + 2 * i, pts[i]);
    uint32_t words[BNN_RASTER_WORDS];
    bnn_raster_info_t info;
    CHECK_EQ(bnn_raster_strokes(data, pairs, 240, 240, words, &info), BNN_OK);
    CHECK_EQ(info.points, 7);
    const uint32_t id = (uint32_t)BNN_MODEL_ID32;

    upload(41, data, sizeof data, 10, -1);
    check_ok_report(strokes_cmd(id, 41, 240, 240, (uint32_t)pairs), 41, words);
    /* used: the same seq again needs a new upload */
    CHECK_EQ(strokes_cmd(id, 41, 240, 240, (uint32_t)pairs), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_UPLOAD);
    /* a lost piece, another seq, another size: BadUpload, nothing classified */
    upload(42, data, sizeof data, 10, 1);
    CHECK_EQ(strokes_cmd(id, 42, 240, 240, (uint32_t)pairs), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_UPLOAD);
    upload(43, data, sizeof data, 230, -1);
    CHECK_EQ(strokes_cmd(id, 44, 240, 240, (uint32_t)pairs), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_UPLOAD);
    CHECK_EQ(strokes_cmd(id, 43, 240, 240, (uint32_t)pairs - 1), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_UPLOAD);
    /* the model id, the command's length, a zero panel, no pairs */
    CHECK_EQ(strokes_cmd(id ^ 1u, 43, 240, 240, (uint32_t)pairs), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_MODEL_MISMATCH);
    CHECK_EQ(strokes_cmd(id, 43, 0, 240, (uint32_t)pairs), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_LENGTH);
    CHECK_EQ(strokes_cmd(id, 43, 240, 240, 0), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_LENGTH);
    CHECK_EQ(bnn_service_command(BNN_SERVICE_CMD_CLASSIFY_STROKES, cmd_buf, BNN_SERVICE_STROKES_BYTES - 1, rep_buf, sizeof rep_buf, NULL), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_LENGTH);
    /* only stroke ends: no digit */
    const uint8_t ends[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    upload(45, ends, sizeof ends, 230, -1);
    CHECK_EQ(strokes_cmd(id, 45, 240, 240, 2), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_NO_DIGIT);
    CHECK_EQ((int8_t)rep_buf[BNN_SERVICE_REP_OFF_DIGIT], -1);
    /* as many pairs as the buffer holds: one stroke across the panel, classified as rasterized */
    static uint8_t big[BNN_SERVICE_UPLOAD_BYTES + 8];
    const size_t fit = BNN_SERVICE_UPLOAD_BYTES / 4;
    for (size_t i = 0; i + 1 < fit; i++) {
        put_u16(big + 4 * i, (uint32_t)(20 + (200 * i) / fit));
        put_u16(big + 4 * i + 2, (uint32_t)(30 + (180 * i) / fit));
    }
    put_u16(big + 4 * (fit - 1), 0xffff);
    put_u16(big + 4 * (fit - 1) + 2, 0xffff);
    CHECK_EQ(bnn_raster_strokes(big, fit, 240, 240, words, &info), BNN_OK);
    upload(46, big, 4 * fit, 230, -1);
    check_ok_report(strokes_cmd(id, 46, 240, 240, (uint32_t)fit), 46, words);
    /* more than the buffer holds: refused, and never complete */
    memset(big, 0, sizeof big);
    upload(47, big, sizeof big, 230, -1);
    CHECK_EQ(strokes_cmd(id, 47, 240, 240, (uint32_t)(sizeof big / 4)), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_LENGTH);
    /* a load with too short a payload is ignored */
    CHECK_EQ(bnn_service_command(BNN_SERVICE_CMD_LOAD, cmd_buf, 5, rep_buf, sizeof rep_buf, NULL), 0);
    CHECK_EQ(bnn_service_command(BNN_SERVICE_CMD_LOAD, NULL, 0, rep_buf, sizeof rep_buf, NULL), 0);
}

#endif /* BNN_SERVICE_STROKES */

#if BNN_SERVICE_FRAMES
void test_frames(void) {
    enum { W = 40, H = 30 };
    static uint8_t frame[W * H];
    const uint32_t id = (uint32_t)BNN_MODEL_ID32;
    /* blank paper: no digit */
    memset(frame, 200, sizeof frame);
    upload(51, frame, sizeof frame, 230, -1);
    CHECK_EQ(frame_cmd(id, 51, W, H), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_NO_DIGIT);
    /* a dark bar on paper: classified exactly as preprocess + pack + bnn_classify */
    for (int y = 6; y < 24; y++)
        for (int x = 18; x < 22; x++) frame[y * W + x] = 30;
    upload(52, frame, sizeof frame, 230, -1);
    static uint8_t pixels[784];
    CHECK(bnn_preprocess_frame(frame, W, H, pixels) > 0);
    uint32_t words[BNN_INPUT_WORDS];
    bnn_pack_pixels(pixels, words);
    check_ok_report(frame_cmd(id, 52, W, H), 52, words);
    /* the frame's size must be what was uploaded */
    upload(53, frame, sizeof frame, 230, -1);
    CHECK_EQ(frame_cmd(id, 53, W, H - 1), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_UPLOAD);
    CHECK_EQ(frame_cmd(id, 53, 0, H), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_LENGTH);
    CHECK_EQ(frame_cmd(id ^ 4u, 53, W, H), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_MODEL_MISMATCH);
}

static void watch_cmd(uint32_t seq, uint32_t frame_id) {
    bnn_service_put_u32le(cmd_buf, seq);
    bnn_service_put_u32le(cmd_buf + 4, frame_id);
    CHECK_EQ(bnn_service_command(BNN_SERVICE_CMD_WATCH_FRAME, cmd_buf, BNN_SERVICE_WATCH_BYTES, rep_buf, sizeof rep_buf, NULL), 0);
}

/* Sends frame[0..n-1] as the camera's frame_chunk reports of frame_id (228 pixels each),
 * skipping chunk number `skip` (-1: none); returns how many the service took. */
static int camera_chunks(uint32_t service_class, uint32_t frame_id, const uint8_t *frame, size_t n, int skip) {
    static uint8_t chunk[236];
    int taken = 0, k = 0;
    for (size_t o = 0; o < n; o += 228, k++) {
        size_t m = n - o < 228 ? n - o : 228;
        bnn_service_put_u32le(chunk, frame_id);
        put_u16(chunk + 4, (uint32_t)o);
        put_u16(chunk + 6, (uint32_t)n);
        memcpy(chunk + 8, frame + o, m);
        if (k != skip) taken += bnn_service_observe_report(service_class, BNN_SERVICE_CAMERA_REPORT_FRAME_CHUNK, chunk, 8 + m);
    }
    return taken;
}

void test_watch_frame(void) {
    enum { W = 64, H = 48 };
    static uint8_t frame[W * H];
    const uint32_t id = (uint32_t)BNN_MODEL_ID32;
    memset(frame, 210, sizeof frame);
    for (int y = 8; y < 40; y++)
        for (int x = 28; x < 34; x++) frame[y * W + x] = 20;
    static uint8_t pixels[784];
    CHECK(bnn_preprocess_frame(frame, W, H, pixels) > 0);
    uint32_t words[BNN_INPUT_WORDS];
    bnn_pack_pixels(pixels, words);
    const int chunks = (W * H + 227) / 228;
    /* nothing watched: no chunk is taken */
    CHECK_EQ(camera_chunks(BNN_SERVICE_CAMERA_CLASS, 7, frame, sizeof frame, -1), 0);
    /* watched: the camera's chunks are the upload of seq 61, classified as if loaded */
    watch_cmd(61, 7);
    CHECK_EQ(camera_chunks(BNN_SERVICE_CAMERA_CLASS, 8, frame, sizeof frame, -1), 0); /* another frame */
    CHECK_EQ(camera_chunks(BNN_SERVICE_CAMERA_CLASS ^ 1u, 7, frame, sizeof frame, -1), 0); /* another service */
    CHECK_EQ(bnn_service_observe_report(BNN_SERVICE_CAMERA_CLASS, 0x80, frame, 20), 0); /* another report */
    CHECK_EQ(bnn_service_observe_report(BNN_SERVICE_CAMERA_CLASS, BNN_SERVICE_CAMERA_REPORT_FRAME_CHUNK, frame, 7), 0); /* too short */
    CHECK_EQ(camera_chunks(BNN_SERVICE_CAMERA_CLASS, 7, frame, sizeof frame, -1), chunks);
    check_ok_report(frame_cmd(id, 61, W, H), 61, words);
    /* a lost chunk: BadUpload (the program then uploads the frame itself) */
    watch_cmd(62, 9);
    CHECK_EQ(camera_chunks(BNN_SERVICE_CAMERA_CLASS, 9, frame, sizeof frame, 3), chunks - 1);
    CHECK_EQ(frame_cmd(id, 62, W, H), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_UPLOAD);
    upload(62, frame, sizeof frame, 230, -1);
    check_ok_report(frame_cmd(id, 62, W, H), 62, words);
    /* that load ended the watch: frame 9's chunks are no longer taken */
    CHECK_EQ(camera_chunks(BNN_SERVICE_CAMERA_CLASS, 9, frame, sizeof frame, -1), 0);
    /* a watch drops what was uploaded before it; a malformed watch_frame changes nothing */
    upload(63, frame, sizeof frame, 230, -1);
    watch_cmd(64, 11);
    CHECK_EQ(frame_cmd(id, 63, W, H), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_UPLOAD);
    CHECK_EQ(bnn_service_command(BNN_SERVICE_CMD_WATCH_FRAME, cmd_buf, BNN_SERVICE_WATCH_BYTES - 1, rep_buf, sizeof rep_buf, NULL), 0);
    CHECK_EQ(bnn_service_command(BNN_SERVICE_CMD_WATCH_FRAME, NULL, 0, rep_buf, sizeof rep_buf, NULL), 0);
    CHECK_EQ(camera_chunks(BNN_SERVICE_CAMERA_CLASS, 11, frame, sizeof frame, -1), chunks);
    check_ok_report(frame_cmd(id, 64, W, H), 64, words);
}
#endif /* BNN_SERVICE_FRAMES */
