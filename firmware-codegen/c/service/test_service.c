/*
 * test_service.c: unit test of the BNN Classifier service core (bnn_service.c); the spec
 * cross-check is test_service_spec.c, the strokes and frames uploads test_service_uploads.c.
 *
 * Build and run from the repository root:
 *   gcc -std=c99 -Wall -Wextra -Werror -pedantic -fsanitize=address,undefined \
 *       -Ifirmware-codegen/c -Ifirmware-codegen/generated/default -Ifirmware-codegen/c/service \
 *       firmware-codegen/generated/default/bnn_model.c firmware-codegen/c/service/bnn_service.c \
 *       firmware-codegen/c/bnn_raster.c firmware-codegen/c/bnn_raster_steps.c \
 *       firmware-codegen/c/bnn_preprocess.c firmware-codegen/c/bnn_preprocess_ink.c \
 *       firmware-codegen/c/bnn_preprocess_geometry.c \
 *       firmware-codegen/c/service/test_service.c firmware-codegen/c/service/test_service_spec.c \
 *       firmware-codegen/c/service/test_service_uploads.c \
 *       firmware-codegen/c/service/test_service_config.c -o /tmp/test_service
 *   /tmp/test_service [services/bnnclassifier.md]
 * Another configuration: add its defines (e.g. -DBNN_SERVICE_FRAMES=0), -DTEST_UPLOAD_CAPACITY=
 * the upload_capacity it must report (1600 touch-only), and leave out the C it does not serve
 * (bnn_preprocess.c without frames, bnn_raster.c without strokes); tests/service.test.ts runs
 * every configuration.
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
    test_config();
#if BNN_SERVICE_STROKES
    test_strokes();
#endif
#if BNN_SERVICE_FRAMES
    test_frames();
    test_watch_frame();
#endif
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
