/*
 * fuzz_service.c: libFuzzer harness for the BNN Classifier service core (bnn_service.c) and
 * for bnn_classify.
 *
 * Build and run from the repository root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -Ifirmware-codegen/c -Ifirmware-codegen/generated/default -Ifirmware-codegen/c/service \
 *       firmware-codegen/generated/default/bnn_model.c firmware-codegen/c/service/bnn_service.c \
 *       firmware-codegen/c/bnn_raster.c firmware-codegen/c/bnn_preprocess.c \
 *       firmware-codegen/c/service/fuzz_service.c -o /tmp/fuzz_service
 *   /tmp/fuzz_service -max_total_time=20
 * Another configuration: add its defines (e.g. -DBNN_SERVICE_FRAMES=0) and leave out the C it
 * does not serve (bnn_preprocess.c without frames, bnn_raster.c without strokes).
 *
 * Input: byte 0 picks the mode and the report capacity, the rest is the payload.
 *   mode bit 0 set: the payload is prefixed with the right model id (so that the fuzzer reaches
 *                   the classification path without having to guess BNN_MODEL_ID32);
 *   mode bit 1 set: the payload is placed at an odd address;
 *   bits 2..7:      the report capacity is 4 * (bits 2..7) bytes, 0..252 (often below the
 *                   report size, to exercise the capacity checks).
 * Payload and report live in heap blocks of exactly their size, so AddressSanitizer reports any
 * read past the payload or write past report_cap. abort() on a broken invariant.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bnn_model.h"
#include "bnn_service.h"

#define REQUIRE(c)                                                                          \
    do {                                                                                    \
        if (!(c)) abort();                                                                  \
    } while (0)

static uint32_t fuzz_clock_value;
static uint32_t fuzz_clock(void) {
    fuzz_clock_value += 17u;
    return fuzz_clock_value;
}

/* argmax with the lowest index on ties, as bnn_classify documents */
static int argmax(const int32_t *scores) {
    int best = 0;
    for (int j = 1; j < BNN_OUTPUTS; j++)
        if (scores[j] > scores[best]) best = j;
    return best;
}

static void fuzz_classify_direct(const uint8_t *data, size_t size) {
    uint32_t words[BNN_INPUT_WORDS];
    int32_t scores[BNN_OUTPUTS];
    if (size < sizeof words) return;
    memcpy(words, data, sizeof words); /* any bits, padding bits included */
    int digit = bnn_classify(words, BNN_INPUT_WORDS, scores, BNN_OUTPUTS);
    REQUIRE(digit >= 0 && digit < BNN_OUTPUTS);
    REQUIRE(digit == argmax(scores));
    /* padding bits are ignored */
    if (BNN_INPUT_BITS % 32) {
        int32_t scores2[BNN_OUTPUTS];
        words[BNN_INPUT_WORDS - 1] ^= ~(((uint32_t)1 << (BNN_INPUT_BITS % 32)) - 1u);
        REQUIRE(bnn_classify(words, BNN_INPUT_WORDS, scores2, BNN_OUTPUTS) == digit);
        REQUIRE(memcmp(scores, scores2, sizeof scores) == 0);
    }
    /* preconditions: a NULL or short buffer is refused before anything is read or written */
    REQUIRE(bnn_classify(NULL, BNN_INPUT_WORDS, scores, BNN_OUTPUTS) == BNN_ERR_NULL);
    REQUIRE(bnn_classify(words, BNN_INPUT_WORDS, NULL, BNN_OUTPUTS) == BNN_ERR_NULL);
    REQUIRE(bnn_classify(words, BNN_INPUT_WORDS - 1, scores, BNN_OUTPUTS) == BNN_ERR_SIZE);
    REQUIRE(bnn_classify(words, BNN_INPUT_WORDS, scores, BNN_OUTPUTS - 1) == BNN_ERR_SIZE);
}

/* Whether the build's configuration (bnn_service.h) serves cmd. */
static int served(unsigned cmd) {
    switch (cmd) {
    case BNN_SERVICE_CMD_LOAD:
        return BNN_SERVICE_STROKES || BNN_SERVICE_FRAMES;
    case BNN_SERVICE_CMD_CLASSIFY_STROKES:
        return BNN_SERVICE_STROKES;
    case BNN_SERVICE_CMD_CLASSIFY_FRAME:
    case BNN_SERVICE_CMD_WATCH_FRAME:
        return BNN_SERVICE_FRAMES;
    default:
        return 1;
    }
}

/*
 * The upload commands as a script: the data is a sequence of commands, each a selector byte
 * (load, classify_strokes, classify_frame, classify, watch_frame, or a camera frame_chunk report
 * seen on the bus), a length byte and that many payload bytes (the first four replaced by the
 * model id every other time). Whatever the sequence, every answer must be a well-formed report
 * of a known status, or no report for load and watch_frame, or BNN_SERVICE_NOT_IMPLEMENTED for a
 * command the configuration leaves out (build with e.g. -DBNN_SERVICE_FRAMES=0).
 */
static void fuzz_uploads(const uint8_t *data, size_t size) {
    enum { CAMERA_CHUNK = 0 }; /* not a command code: a report of the camera */
    static const unsigned cmds[8] = {BNN_SERVICE_CMD_LOAD, BNN_SERVICE_CMD_CLASSIFY_STROKES, BNN_SERVICE_CMD_CLASSIFY_FRAME, BNN_SERVICE_CMD_CLASSIFY,
                                     BNN_SERVICE_CMD_WATCH_FRAME, CAMERA_CHUNK, CAMERA_CHUNK, BNN_SERVICE_CMD_CLASSIFY_FRAME};
    uint8_t payload[BNN_SERVICE_MAX_PACKET_BYTES];
    uint8_t report[BNN_SERVICE_MAX_PACKET_BYTES];
    size_t o = 0;
    for (int k = 0; o + 2 <= size; k++) {
        const unsigned cmd = cmds[data[o] & 7];
        size_t len = data[o + 1] % (BNN_SERVICE_MAX_PACKET_BYTES + 1);
        o += 2;
        if (len > size - o) len = size - o;
        memcpy(payload, data + o, len);
        o += len;
        if ((k & 1) && len >= 4 && cmd != CAMERA_CHUNK) bnn_service_put_u32le(payload, BNN_MODEL_ID32);
        if (cmd == CAMERA_CHUNK) {
            const int taken = bnn_service_observe_report(BNN_SERVICE_CAMERA_CLASS, BNN_SERVICE_CAMERA_REPORT_FRAME_CHUNK, payload, len);
            REQUIRE(taken == 0 || (taken == 1 && BNN_SERVICE_FRAMES));
            continue;
        }
        const int n = bnn_service_command(cmd, payload, len, report, sizeof report, fuzz_clock);
        if (!served(cmd)) {
            REQUIRE(n == BNN_SERVICE_NOT_IMPLEMENTED);
            continue;
        }
        if (cmd == BNN_SERVICE_CMD_LOAD || cmd == BNN_SERVICE_CMD_WATCH_FRAME) {
            REQUIRE(n == 0);
            continue;
        }
        REQUIRE(n == BNN_SERVICE_ERROR_REPORT_BYTES || n == BNN_SERVICE_REPORT_BYTES);
        const uint8_t status = report[BNN_SERVICE_REP_OFF_STATUS];
        const int digit = (int8_t)report[BNN_SERVICE_REP_OFF_DIGIT];
        REQUIRE(status <= BNN_SERVICE_STATUS_NO_DIGIT && status != BNN_SERVICE_STATUS_MODEL_ERROR);
        if (status == BNN_SERVICE_STATUS_OK) REQUIRE(n == BNN_SERVICE_REPORT_BYTES && digit >= 0 && digit < BNN_OUTPUTS);
        else REQUIRE(n == BNN_SERVICE_ERROR_REPORT_BYTES && digit == -1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const uint8_t mode = data[0];
    const int with_model_id = mode & 1;
    const int odd = (mode >> 1) & 1;
    const size_t report_cap = 4u * (size_t)(mode >> 2);
    data++;
    size--;

    /* the payload, in a heap block of exactly odd + len bytes (malloc is at least 8-aligned, so
     * block + 1 is an odd address) */
    const size_t len = size + (with_model_id ? 4u : 0u);
    uint8_t *block = malloc(len + (size_t)odd > 0 ? len + (size_t)odd : 1u);
    REQUIRE(block != NULL);
    uint8_t *payload = block + odd;
    if (with_model_id) {
        bnn_service_put_u32le(payload, BNN_MODEL_ID32);
        if (size) memcpy(payload + 4, data, size);
    } else if (size) {
        memcpy(payload, data, size);
    }

    uint8_t *report = malloc(report_cap ? report_cap : 1u);
    REQUIRE(report != NULL);
    const uint32_t count0 = bnn_service_inference_count();
    const int n = bnn_service_classify(len ? payload : NULL, len, report, report_cap, fuzz_clock);

    const uint32_t seq = len >= BNN_SERVICE_HEADER_BYTES ? bnn_service_get_u32le(payload + 4) : 0u;
    const int ok_path = len == BNN_SERVICE_PAYLOAD_BYTES &&
                        bnn_service_get_u32le(payload) == (uint32_t)BNN_MODEL_ID32;
    if (n < 0) {
        REQUIRE(n == BNN_SERVICE_ERR_REPORT_CAP);
        REQUIRE(report_cap < (ok_path ? BNN_SERVICE_REPORT_BYTES : BNN_SERVICE_ERROR_REPORT_BYTES));
        REQUIRE(bnn_service_inference_count() == count0);
    } else {
        REQUIRE((size_t)n <= report_cap);
        REQUIRE(n == (ok_path ? BNN_SERVICE_REPORT_BYTES : BNN_SERVICE_ERROR_REPORT_BYTES));
        REQUIRE(n <= BNN_SERVICE_MAX_PACKET_BYTES);
        REQUIRE(bnn_service_get_u32le(report + BNN_SERVICE_REP_OFF_SEQ) == seq);
        const uint8_t status = report[BNN_SERVICE_REP_OFF_STATUS];
        const int digit = (int8_t)report[BNN_SERVICE_REP_OFF_DIGIT];
        REQUIRE(report[BNN_SERVICE_REP_OFF_RESERVED] == 0 && report[BNN_SERVICE_REP_OFF_RESERVED + 1] == 0);
        if (ok_path) {
            REQUIRE(status == BNN_SERVICE_STATUS_OK);
            REQUIRE(bnn_service_inference_count() == count0 + 1u);
            REQUIRE(bnn_service_get_u32le(report + BNN_SERVICE_REP_OFF_INFERENCE_TIME) == 17u);
            /* the report carries what bnn_classify says for the same bits */
            uint32_t words[BNN_INPUT_WORDS];
            int32_t scores[BNN_OUTPUTS];
            for (int k = 0; k < BNN_INPUT_WORDS; k++)
                words[k] = bnn_service_get_u32le(payload + BNN_SERVICE_CMD_OFF_INPUT_BITS + 4 * k);
            REQUIRE(bnn_classify(words, BNN_INPUT_WORDS, scores, BNN_OUTPUTS) == digit);
            for (int j = 0; j < BNN_OUTPUTS; j++)
                REQUIRE((int32_t)bnn_service_get_u32le(report + BNN_SERVICE_REP_OFF_SCORES + 4 * j) == scores[j]);
        } else {
            REQUIRE(status == BNN_SERVICE_STATUS_BAD_LENGTH || status == BNN_SERVICE_STATUS_MODEL_MISMATCH);
            REQUIRE(status == (len >= BNN_SERVICE_HEADER_BYTES &&
                                       bnn_service_get_u32le(payload) != (uint32_t)BNN_MODEL_ID32
                                   ? BNN_SERVICE_STATUS_MODEL_MISMATCH
                                   : BNN_SERVICE_STATUS_BAD_LENGTH));
            REQUIRE(digit == -1);
            REQUIRE(bnn_service_get_u32le(report + BNN_SERVICE_REP_OFF_INFERENCE_TIME) == 0);
            REQUIRE(bnn_service_inference_count() == count0);
        }
    }

    /* the raw input bytes straight into bnn_classify when there are enough of them */
    fuzz_classify_direct(data, size);
    /* and as a script of uploads and classify commands */
    fuzz_uploads(data, size);

    /* registers: any code, any capacity */
    uint8_t regbuf[4];
    unsigned reg = size >= 2 ? ((unsigned)data[0] | ((unsigned)data[1] << 8)) & 0xfffu : 0u;
    int r = bnn_service_get_register(reg, regbuf, (size_t)(mode & 3) + 1u);
    REQUIRE(r == 0 || r == BNN_SERVICE_ERR_REPORT_CAP || (r >= 1 && r <= (mode & 3) + 1));

    free(report);
    free(block);
    return 0;
}
