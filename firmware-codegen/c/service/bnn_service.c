/*
 * bnn_service.c: the transport-independent core of the BNN Classifier service (see
 * bnn_service.h, services/bnnclassifier.md, docs/service.md). Needs only <stdint.h> and
 * <stddef.h> (no libc calls), so it also builds -ffreestanding.
 */
#include <stddef.h>
#include <stdint.h>

#include "bnn_model.h"
#include "bnn_service.h"

/* the register types of services/bnnclassifier.md must hold the model's values */
typedef char bnn_service_u16_registers_fit[BNN_INPUT_WIDTH <= 0xffff && BNN_INPUT_HEIGHT <= 0xffff && BNN_INPUT_BITS <= 0xffff ? 1 : -1];
typedef char bnn_service_u8_registers_fit[BNN_OUTPUTS <= 0xff && BNN_SCORE_SHIFT <= 0xff ? 1 : -1];

static uint32_t bnn_service_count;

uint32_t bnn_service_inference_count(void) {
    return bnn_service_count;
}

/* Writes an error report (no scores); report_cap was checked by the caller. */
static int bnn_service_error_report(uint8_t *report, uint32_t seq, uint8_t status) {
    for (int i = 0; i < BNN_SERVICE_ERROR_REPORT_BYTES; i++) report[i] = 0;
    bnn_service_put_u32le(report + BNN_SERVICE_REP_OFF_SEQ, seq);
    report[BNN_SERVICE_REP_OFF_STATUS] = status;
    report[BNN_SERVICE_REP_OFF_DIGIT] = 0xff; /* digit -1 */
    return BNN_SERVICE_ERROR_REPORT_BYTES;
}

int bnn_service_classify(const uint8_t *payload, size_t len, uint8_t *report, size_t report_cap,
                         bnn_service_clock_fn now_us) {
    /* static: 100 bytes of words need not live on a small MCU stack; bnn_classify is not
     * reentrant anyway */
    static uint32_t words[BNN_INPUT_WORDS];
    int32_t scores[BNN_OUTPUTS];

    if (report == NULL || report_cap < BNN_SERVICE_ERROR_REPORT_BYTES)
        return BNN_SERVICE_ERR_REPORT_CAP;
    if (payload == NULL || len < BNN_SERVICE_HEADER_BYTES)
        return bnn_service_error_report(report, 0, BNN_SERVICE_STATUS_BAD_LENGTH);

    uint32_t model_id = bnn_service_get_u32le(payload + BNN_SERVICE_CMD_OFF_MODEL_ID);
    uint32_t seq = bnn_service_get_u32le(payload + BNN_SERVICE_CMD_OFF_SEQ);
    if (model_id != (uint32_t)BNN_MODEL_ID32)
        return bnn_service_error_report(report, seq, BNN_SERVICE_STATUS_MODEL_MISMATCH);
    if (len != BNN_SERVICE_PAYLOAD_BYTES)
        return bnn_service_error_report(report, seq, BNN_SERVICE_STATUS_BAD_LENGTH);
    if (report_cap < BNN_SERVICE_REPORT_BYTES)
        return BNN_SERVICE_ERR_REPORT_CAP;

    /* the payload may be unaligned: assemble the little-endian words byte by byte */
    const uint8_t *bits = payload + BNN_SERVICE_CMD_OFF_INPUT_BITS;
    for (size_t k = 0; k < BNN_INPUT_WORDS; k++) words[k] = bnn_service_get_u32le(bits + 4 * k);

    uint32_t t0 = now_us ? now_us() : 0;
    int digit = bnn_classify(words, BNN_INPUT_WORDS, scores, BNN_OUTPUTS);
    uint32_t t1 = now_us ? now_us() : 0;
    if (digit < 0 || digit >= BNN_OUTPUTS)
        return bnn_service_error_report(report, seq, BNN_SERVICE_STATUS_MODEL_ERROR);
    bnn_service_count++;

    bnn_service_put_u32le(report + BNN_SERVICE_REP_OFF_SEQ, seq);
    report[BNN_SERVICE_REP_OFF_STATUS] = BNN_SERVICE_STATUS_OK;
    report[BNN_SERVICE_REP_OFF_DIGIT] = (uint8_t)digit;
    report[BNN_SERVICE_REP_OFF_RESERVED] = 0;
    report[BNN_SERVICE_REP_OFF_RESERVED + 1] = 0;
    bnn_service_put_u32le(report + BNN_SERVICE_REP_OFF_INFERENCE_TIME, t1 - t0);
    for (size_t j = 0; j < BNN_OUTPUTS; j++)
        bnn_service_put_u32le(report + BNN_SERVICE_REP_OFF_SCORES + 4 * j, (uint32_t)scores[j]);
    return BNN_SERVICE_REPORT_BYTES;
}

int bnn_service_get_register(unsigned reg, uint8_t *out, size_t cap) {
    uint32_t value;
    int size;
    switch (reg) {
    case BNN_SERVICE_REG_MODEL_ID:
        value = (uint32_t)BNN_MODEL_ID32;
        size = 4;
        break;
    case BNN_SERVICE_REG_INPUT_WIDTH:
        value = BNN_INPUT_WIDTH;
        size = 2;
        break;
    case BNN_SERVICE_REG_INPUT_HEIGHT:
        value = BNN_INPUT_HEIGHT;
        size = 2;
        break;
    case BNN_SERVICE_REG_INPUT_BITS:
        value = BNN_INPUT_BITS;
        size = 2;
        break;
    case BNN_SERVICE_REG_OUTPUTS:
        value = BNN_OUTPUTS;
        size = 1;
        break;
    case BNN_SERVICE_REG_SCORE_SHIFT:
        value = BNN_SCORE_SHIFT;
        size = 1;
        break;
    case BNN_SERVICE_REG_INFERENCE_COUNT:
        value = bnn_service_count;
        size = 4;
        break;
    default:
        return 0;
    }
    if (out == NULL || cap < (size_t)size)
        return BNN_SERVICE_ERR_REPORT_CAP;
    for (int i = 0; i < size; i++) out[i] = (uint8_t)(value >> (8 * i));
    return size;
}
