/*
 * test_service.c: unit test of the BNN Classifier service core (bnn_service.c); the spec
 * cross-check is test_service_spec.c.
 *
 * Build and run from the repository root:
 *   gcc -std=c99 -Wall -Wextra -Werror -pedantic -fsanitize=address,undefined \
 *       -Ifirmware-codegen/c -Ifirmware-codegen/generated/default -Ifirmware-codegen/c/service \
 *       firmware-codegen/generated/default/bnn_model.c firmware-codegen/c/service/bnn_service.c \
 *       firmware-codegen/c/bnn_raster.c firmware-codegen/c/bnn_preprocess.c \
 *       firmware-codegen/c/service/test_service.c firmware-codegen/c/service/test_service_spec.c \
 *       -o /tmp/test_service
 *   /tmp/test_service [services/bnnclassifier.md]
 * Add -DBNN_CHECK_DEVS_CONSTANTS -I.devicescript/c (after `npx devs build`) to also compare the
 * codes with the C constants devs build generated from the spec.
 *
 * Exit code 0 when every check passes. Checks stay active under NDEBUG.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnn_model.h"
#include "bnn_preprocess.h"
#include "bnn_raster.h"
#include "bnn_service.h"
#include "test_check.h"


int test_failures;

/* ---------------------------------------------------------------- helpers */

static uint32_t rng_state = 12345u;
static uint32_t rng(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state ^ (rng_state >> 16);
}

static uint32_t fake_clock_value;
static uint32_t fake_clock_step;
static uint32_t fake_clock(void) {
    uint32_t v = fake_clock_value;
    fake_clock_value += fake_clock_step;
    return v;
}

/* Random input words with density about 1/density, padding bits cleared. */
static void random_words(uint32_t *words, unsigned density) {
    for (int k = 0; k < BNN_INPUT_WORDS; k++) {
        uint32_t w = 0;
        for (int i = 0; i < 32; i++)
            if (rng() % density == 0) w |= (uint32_t)1 << i;
        words[k] = w;
    }
    if (BNN_INPUT_BITS % 32) words[BNN_INPUT_WORDS - 1] &= ((uint32_t)1 << (BNN_INPUT_BITS % 32)) - 1u;
}

static void make_payload(uint8_t *p, uint32_t model_id, uint32_t seq, const uint32_t *words) {
    bnn_service_put_u32le(p + BNN_SERVICE_CMD_OFF_MODEL_ID, model_id);
    bnn_service_put_u32le(p + BNN_SERVICE_CMD_OFF_SEQ, seq);
    for (int k = 0; k < BNN_INPUT_WORDS; k++)
        bnn_service_put_u32le(p + BNN_SERVICE_CMD_OFF_INPUT_BITS + 4 * k, words[k]);
}

#define CANARY 0xa5
#define REPORT_BUF (BNN_SERVICE_MAX_PACKET_BYTES + 16)

/* Checks an error report of the given status and seq, and that nothing past it was written. */
static void check_error_report(const uint8_t *r, int n, uint32_t seq, int status) {
    CHECK_EQ(n, BNN_SERVICE_ERROR_REPORT_BYTES);
    if (n != BNN_SERVICE_ERROR_REPORT_BYTES) return;
    CHECK_EQ(bnn_service_get_u32le(r + BNN_SERVICE_REP_OFF_SEQ), seq);
    CHECK_EQ(r[BNN_SERVICE_REP_OFF_STATUS], status);
    CHECK_EQ((int8_t)r[BNN_SERVICE_REP_OFF_DIGIT], -1);
    CHECK_EQ(r[BNN_SERVICE_REP_OFF_RESERVED], 0);
    CHECK_EQ(r[BNN_SERVICE_REP_OFF_RESERVED + 1], 0);
    CHECK_EQ(bnn_service_get_u32le(r + BNN_SERVICE_REP_OFF_INFERENCE_TIME), 0);
    for (int i = n; i < REPORT_BUF; i++) CHECK_EQ(r[i], CANARY);
}

/* ---------------------------------------------------------------- tests */

static void test_good_payload(void) {
    uint32_t words[BNN_INPUT_WORDS];
    uint8_t payload[BNN_SERVICE_PAYLOAD_BYTES + 4];
    uint8_t report[REPORT_BUF];
    int32_t scores[BNN_OUTPUTS];
    int seen[BNN_OUTPUTS] = {0};
    uint32_t count0 = bnn_service_inference_count();
    const int runs = 200;

    CHECK_EQ(BNN_SERVICE_PAYLOAD_BYTES, 108); /* the default 28x28 model: 8 + 25 * 4 */
    CHECK_EQ(BNN_SERVICE_REPORT_BYTES, 52);
    for (int t = 0; t < runs; t++) {
        random_words(words, 2 + (unsigned)t % 7);
        uint32_t seq = rng();
        int expected = bnn_classify(words, BNN_INPUT_WORDS, scores, BNN_OUTPUTS);
        CHECK(expected >= 0 && expected < BNN_OUTPUTS);
        if (expected >= 0 && expected < BNN_OUTPUTS) seen[expected]++;

        /* aligned, then at offsets 1..3 */
        for (int off = 0; off < 4; off++) {
            make_payload(payload + off, BNN_MODEL_ID32, seq, words);
            memset(report, CANARY, sizeof report);
            fake_clock_value = 0xfffffff0u; /* the subtraction wraps */
            fake_clock_step = 0x20u + (uint32_t)t;
            int n = bnn_service_classify(payload + off, BNN_SERVICE_PAYLOAD_BYTES, report,
                                         sizeof report, fake_clock);
            CHECK_EQ(n, BNN_SERVICE_REPORT_BYTES);
            if (n != BNN_SERVICE_REPORT_BYTES) continue;
            CHECK_EQ(bnn_service_get_u32le(report + BNN_SERVICE_REP_OFF_SEQ), seq);
            CHECK_EQ(report[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_OK);
            CHECK_EQ((int8_t)report[BNN_SERVICE_REP_OFF_DIGIT], expected);
            CHECK_EQ(report[BNN_SERVICE_REP_OFF_RESERVED], 0);
            CHECK_EQ(report[BNN_SERVICE_REP_OFF_RESERVED + 1], 0);
            CHECK_EQ(bnn_service_get_u32le(report + BNN_SERVICE_REP_OFF_INFERENCE_TIME), 0x20u + (uint32_t)t);
            for (int j = 0; j < BNN_OUTPUTS; j++)
                CHECK_EQ((int32_t)bnn_service_get_u32le(report + BNN_SERVICE_REP_OFF_SCORES + 4 * j), scores[j]);
            for (int i = n; i < REPORT_BUF; i++) CHECK_EQ(report[i], CANARY);
        }
    }
    CHECK_EQ(bnn_service_inference_count() - count0, (uint32_t)runs * 4u);
    /* the random inputs should not all land on one digit */
    int distinct = 0;
    for (int j = 0; j < BNN_OUTPUTS; j++) distinct += seen[j] > 0;
    CHECK(distinct >= 2);

    /* exactly the report size is enough; no clock reports 0 us */
    make_payload(payload, BNN_MODEL_ID32, 7, words);
    memset(report, CANARY, sizeof report);
    CHECK_EQ(bnn_service_classify(payload, BNN_SERVICE_PAYLOAD_BYTES, report, BNN_SERVICE_REPORT_BYTES, NULL),
             BNN_SERVICE_REPORT_BYTES);
    CHECK_EQ(bnn_service_get_u32le(report + BNN_SERVICE_REP_OFF_INFERENCE_TIME), 0);
    CHECK_EQ(report[BNN_SERVICE_REPORT_BYTES], CANARY);

    /* set padding bits are ignored, as by bnn_classify */
    if (BNN_INPUT_BITS % 32) {
        uint32_t padded[BNN_INPUT_WORDS];
        memcpy(padded, words, sizeof padded);
        padded[BNN_INPUT_WORDS - 1] |= ~(((uint32_t)1 << (BNN_INPUT_BITS % 32)) - 1u);
        int expected = bnn_classify(words, BNN_INPUT_WORDS, scores, BNN_OUTPUTS);
        make_payload(payload, BNN_MODEL_ID32, 8, padded);
        CHECK_EQ(bnn_service_classify(payload, BNN_SERVICE_PAYLOAD_BYTES, report, sizeof report, NULL),
                 BNN_SERVICE_REPORT_BYTES);
        CHECK_EQ((int8_t)report[BNN_SERVICE_REP_OFF_DIGIT], expected);
    }
}

static void test_bad_length(void) {
    uint32_t words[BNN_INPUT_WORDS];
    uint8_t payload[BNN_SERVICE_MAX_PACKET_BYTES];
    uint8_t report[REPORT_BUF];
    uint32_t count0 = bnn_service_inference_count();
    random_words(words, 3);
    memset(payload, 0, sizeof payload);
    make_payload(payload, BNN_MODEL_ID32, 0xdeadbeefu, words);

    for (size_t len = 0; len <= sizeof payload; len++) {
        if (len == BNN_SERVICE_PAYLOAD_BYTES) continue;
        memset(report, CANARY, sizeof report);
        /* exactly len bytes on the heap, so ASan catches a read past the payload */
        uint8_t *p = len ? malloc(len) : NULL;
        if (len) {
            CHECK(p != NULL);
            if (!p) return;
            memcpy(p, payload, len);
        }
        int n = bnn_service_classify(p, len, report, sizeof report, fake_clock);
        check_error_report(report, n, len >= BNN_SERVICE_HEADER_BYTES ? 0xdeadbeefu : 0u,
                           BNN_SERVICE_STATUS_BAD_LENGTH);
        free(p);
    }
    /* NULL payload with a length: BadLength, nothing read */
    memset(report, CANARY, sizeof report);
    check_error_report(report, bnn_service_classify(NULL, 108, report, sizeof report, NULL), 0,
                       BNN_SERVICE_STATUS_BAD_LENGTH);
    CHECK_EQ(bnn_service_inference_count(), count0);
}

static void test_model_mismatch(void) {
    uint32_t words[BNN_INPUT_WORDS];
    uint8_t payload[BNN_SERVICE_PAYLOAD_BYTES];
    uint8_t report[REPORT_BUF];
    uint32_t count0 = bnn_service_inference_count();
    random_words(words, 3);
    const uint32_t wrong[] = {0, 0xffffffffu, BNN_MODEL_ID32 ^ 1u, BNN_MODEL_ID32 ^ 0x80000000u,
                              ((uint32_t)BNN_MODEL_ID32 >> 8) | ((uint32_t)BNN_MODEL_ID32 << 24)};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        make_payload(payload, wrong[i], 1000u + (uint32_t)i, words);
        memset(report, CANARY, sizeof report);
        int n = bnn_service_classify(payload, sizeof payload, report, sizeof report, fake_clock);
        check_error_report(report, n, 1000u + (uint32_t)i, BNN_SERVICE_STATUS_MODEL_MISMATCH);
        /* a wrong model id wins over a wrong length (another model has another input size) */
        memset(report, CANARY, sizeof report);
        n = bnn_service_classify(payload, sizeof payload - 4, report, sizeof report, fake_clock);
        check_error_report(report, n, 1000u + (uint32_t)i, BNN_SERVICE_STATUS_MODEL_MISMATCH);
    }
    /* the model id is little-endian on the wire */
    CHECK_EQ(bnn_service_get_u32le((const uint8_t *)"\xb9\x9c\x1e\x19"), 0x191e9cb9u);
    CHECK_EQ(bnn_service_inference_count(), count0);
}

static void test_report_cap(void) {
    uint32_t words[BNN_INPUT_WORDS];
    uint8_t payload[BNN_SERVICE_PAYLOAD_BYTES];
    uint8_t report[REPORT_BUF];
    uint32_t count0 = bnn_service_inference_count();
    random_words(words, 3);
    make_payload(payload, BNN_MODEL_ID32, 5, words);

    for (size_t cap = 0; cap < BNN_SERVICE_REPORT_BYTES; cap++) {
        memset(report, CANARY, sizeof report);
        int n = bnn_service_classify(payload, sizeof payload, report, cap, NULL);
        CHECK_EQ(n, BNN_SERVICE_ERR_REPORT_CAP);
        for (int i = 0; i < REPORT_BUF; i++) CHECK_EQ(report[i], CANARY);
    }
    CHECK_EQ(bnn_service_classify(payload, sizeof payload, NULL, 0, NULL), BNN_SERVICE_ERR_REPORT_CAP);
    CHECK_EQ(bnn_service_classify(payload, sizeof payload, NULL, 64, NULL), BNN_SERVICE_ERR_REPORT_CAP);
    CHECK_EQ(bnn_service_inference_count(), count0);

    /* an error report needs only BNN_SERVICE_ERROR_REPORT_BYTES */
    memset(report, CANARY, sizeof report);
    int n = bnn_service_classify(payload, 9, report, BNN_SERVICE_ERROR_REPORT_BYTES, NULL);
    check_error_report(report, n, 5, BNN_SERVICE_STATUS_BAD_LENGTH);
    memset(report, CANARY, sizeof report);
    CHECK_EQ(bnn_service_classify(payload, 9, report, BNN_SERVICE_ERROR_REPORT_BYTES - 1, NULL),
             BNN_SERVICE_ERR_REPORT_CAP);
    for (int i = 0; i < REPORT_BUF; i++) CHECK_EQ(report[i], CANARY);
}

static void test_registers(void) {
    uint8_t out[8];
    struct {
        unsigned reg;
        int size;
        uint32_t value;
    } regs[] = {
        {BNN_SERVICE_REG_MODEL_ID, 4, BNN_MODEL_ID32},
        {BNN_SERVICE_REG_INPUT_WIDTH, 2, BNN_INPUT_WIDTH},
        {BNN_SERVICE_REG_INPUT_HEIGHT, 2, BNN_INPUT_HEIGHT},
        {BNN_SERVICE_REG_INPUT_BITS, 2, BNN_INPUT_BITS},
        {BNN_SERVICE_REG_OUTPUTS, 1, BNN_OUTPUTS},
        {BNN_SERVICE_REG_SCORE_SHIFT, 1, BNN_SCORE_SHIFT},
        {BNN_SERVICE_REG_INFERENCE_COUNT, 4, bnn_service_inference_count()},
        {BNN_SERVICE_REG_UPLOAD_CAPACITY, 2, BNN_SERVICE_UPLOAD_BYTES},
    };
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++) {
        memset(out, CANARY, sizeof out);
        int n = bnn_service_get_register(regs[i].reg, out, sizeof out);
        CHECK_EQ(n, regs[i].size);
        uint32_t v = 0;
        for (int b = 0; b < regs[i].size && b < n; b++) v |= (uint32_t)out[b] << (8 * b);
        CHECK_EQ(v, regs[i].value);
        for (size_t b = (size_t)regs[i].size; b < sizeof out; b++) CHECK_EQ(out[b], CANARY);
        /* too small a buffer: nothing written */
        memset(out, CANARY, sizeof out);
        CHECK_EQ(bnn_service_get_register(regs[i].reg, out, (size_t)regs[i].size - 1), BNN_SERVICE_ERR_REPORT_CAP);
        CHECK_EQ(out[0], CANARY);
        CHECK_EQ(bnn_service_get_register(regs[i].reg, NULL, 4), BNN_SERVICE_ERR_REPORT_CAP);
    }
    CHECK_EQ(BNN_INPUT_BITS, BNN_INPUT_WIDTH * BNN_INPUT_HEIGHT);
    CHECK_EQ(BNN_INPUT_WORDS, (BNN_INPUT_BITS + 31) / 32);
    /* not registers of this service */
    const unsigned others[] = {0, 0x80, 0x101, 0x109, 0x17f, 0x188, 0x1ff, 0xfff};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        CHECK_EQ(bnn_service_get_register(others[i], out, sizeof out), 0);
}

/* ---------------------------------------------------------------- uploads: strokes and frames */

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

static int strokes_cmd(uint32_t model, uint32_t seq, uint32_t w, uint32_t h, uint32_t pairs) {
    bnn_service_put_u32le(cmd_buf, model);
    bnn_service_put_u32le(cmd_buf + 4, seq);
    put_u16(cmd_buf + 8, w);
    put_u16(cmd_buf + 10, h);
    put_u16(cmd_buf + 12, pairs);
    memset(rep_buf, CANARY, sizeof rep_buf);
    return bnn_service_command(BNN_SERVICE_CMD_CLASSIFY_STROKES, cmd_buf, BNN_SERVICE_STROKES_BYTES, rep_buf, sizeof rep_buf, NULL);
}

static int frame_cmd(uint32_t model, uint32_t seq, uint32_t w, uint32_t h) {
    bnn_service_put_u32le(cmd_buf, model);
    bnn_service_put_u32le(cmd_buf + 4, seq);
    put_u16(cmd_buf + 8, w);
    put_u16(cmd_buf + 10, h);
    memset(rep_buf, CANARY, sizeof rep_buf);
    return bnn_service_command(BNN_SERVICE_CMD_CLASSIFY_FRAME, cmd_buf, BNN_SERVICE_FRAME_BYTES, rep_buf, sizeof rep_buf, NULL);
}

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

static void test_strokes(void) {
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
    /* more than the buffer holds: refused, and never complete */
    static uint8_t big[BNN_SERVICE_UPLOAD_BYTES + 8];
    memset(big, 0, sizeof big);
    upload(46, big, sizeof big, 230, -1);
    CHECK_EQ(strokes_cmd(id, 46, 240, 240, (uint32_t)(sizeof big / 4)), BNN_SERVICE_ERROR_REPORT_BYTES);
    CHECK_EQ(rep_buf[BNN_SERVICE_REP_OFF_STATUS], BNN_SERVICE_STATUS_BAD_LENGTH);
    /* a load with too short a payload is ignored */
    CHECK_EQ(bnn_service_command(BNN_SERVICE_CMD_LOAD, cmd_buf, 5, rep_buf, sizeof rep_buf, NULL), 0);
    CHECK_EQ(bnn_service_command(BNN_SERVICE_CMD_LOAD, NULL, 0, rep_buf, sizeof rep_buf, NULL), 0);
}

static void test_frames(void) {
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
    /* unknown commands have no report */
    CHECK_EQ(bnn_service_command(0x90, cmd_buf, 4, rep_buf, sizeof rep_buf, NULL), 0);
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

static void test_watch_frame(void) {
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

int main(int argc, char **argv) {
    const char *spec = argc > 1 ? argv[1] : "services/bnnclassifier.md";
    test_spec(spec);
#ifdef BNN_CHECK_DEVS_CONSTANTS
    test_devs_constants();
#endif
    test_registers();
    test_good_payload();
    test_bad_length();
    test_model_mismatch();
    test_report_cap();
    test_strokes();
    test_frames();
    test_watch_frame();
    test_registers(); /* inference_count after the classifications */
    if (test_failures) {
        fprintf(stderr, "test_service: %d check(s) failed\n", test_failures);
        return 1;
    }
    printf("test_service: all checks passed (model %s, %u classifications%s)\n", BNN_MODEL_ID,
           (unsigned)bnn_service_inference_count(),
#ifdef BNN_CHECK_DEVS_CONSTANTS
           ", codes match the spec and .devicescript/c/constants.c"
#else
           ", codes match the spec"
#endif
    );
    return 0;
}
