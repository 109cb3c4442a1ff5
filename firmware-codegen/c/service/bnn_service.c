/*
 * bnn_service.c: the transport-independent core of the BNN Classifier service (see
 * bnn_service.h, services/bnnclassifier.md, docs/service.md). Needs only <stdint.h> and
 * <stddef.h> (no libc calls), so it also builds -ffreestanding. BNN_SERVICE_STROKES and
 * BNN_SERVICE_FRAMES (bnn_service.h) choose the commands it serves: a command left out costs no
 * RAM and calls nothing, so its C (bnn_raster.c, bnn_preprocess.c) is not linked.
 */
#include <stddef.h>
#include <stdint.h>

#include "bnn_model.h"
#include "bnn_service.h"
#if BNN_SERVICE_STROKES
#include "bnn_raster.h"
#endif
#if BNN_SERVICE_FRAMES
#include "bnn_preprocess.h"
#endif

/* the register types of services/bnnclassifier.md must hold the model's values */
typedef char bnn_service_u16_registers_fit[BNN_INPUT_WIDTH <= 0xffff && BNN_INPUT_HEIGHT <= 0xffff && BNN_INPUT_BITS <= 0xffff ? 1 : -1];
typedef char bnn_service_u8_registers_fit[BNN_OUTPUTS <= 0xff && BNN_SCORE_SHIFT <= 0xff ? 1 : -1];
typedef char bnn_service_upload_fits_u16[BNN_SERVICE_UPLOAD_BYTES <= 0xffff ? 1 : -1];
typedef char bnn_service_upload_not_empty[!BNN_SERVICE_UPLOADS || BNN_SERVICE_UPLOAD_BYTES >= 1 ? 1 : -1];

static uint32_t bnn_service_count;
/* The packed input of every command (static: 100 bytes need not live on a small MCU stack;
 * bnn_classify is not reentrant anyway, and neither are the commands). */
static uint32_t bnn_service_words[BNN_INPUT_WORDS];

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

/* Classifies words (timing from t0) and writes the report; report_cap was checked. */
static int bnn_service_classify_words(const uint32_t *words, uint32_t seq, uint8_t *report, uint32_t t0, bnn_service_clock_fn now_us) {
    int32_t scores[BNN_OUTPUTS];
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

int bnn_service_classify(const uint8_t *payload, size_t len, uint8_t *report, size_t report_cap,
                         bnn_service_clock_fn now_us) {
    uint32_t *words = bnn_service_words;
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
    return bnn_service_classify_words(words, seq, report, t0, now_us);
}

/* ---------------------------------------------------------------- uploads */
#if BNN_SERVICE_UPLOADS

static uint8_t bnn_service_upload[BNN_SERVICE_UPLOAD_BYTES];
/* The seq of the upload in progress, and the bytes received in order so far. */
static uint32_t bnn_service_upload_seq;
static size_t bnn_service_upload_len;
static int bnn_service_upload_open;

#if BNN_SERVICE_FRAMES
/* The camera frame whose chunks are taken off the bus as the upload of a seq (watch_frame). */
static uint32_t bnn_service_watch_seq;
static uint32_t bnn_service_watch_frame_id;
static int bnn_service_watching;
#endif

/* Stores n bytes at offset of the upload of seq: offset 0 starts it; pieces are kept only in order. */
static void bnn_service_store(uint32_t seq, size_t offset, const uint8_t *data, size_t n) {
    if (offset == 0) {
        bnn_service_upload_seq = seq;
        bnn_service_upload_len = 0;
        bnn_service_upload_open = 1;
    }
    /* kept only in order, for the current seq: a lost piece leaves the upload short */
    if (!bnn_service_upload_open || seq != bnn_service_upload_seq || offset != bnn_service_upload_len) return;
    if (offset + n > BNN_SERVICE_UPLOAD_BYTES) {
        bnn_service_upload_len = BNN_SERVICE_UPLOAD_BYTES + 1; /* too much: marked, never complete */
        return;
    }
    for (size_t i = 0; i < n; i++) bnn_service_upload[offset + i] = data[i];
    bnn_service_upload_len = offset + n;
}

static void bnn_service_load(const uint8_t *payload, size_t len) {
    if (payload == NULL || len < BNN_SERVICE_LOAD_OFF_DATA) return;
    size_t offset = bnn_service_get_u16le(payload + BNN_SERVICE_LOAD_OFF_OFFSET);
#if BNN_SERVICE_FRAMES
    if (offset == 0) bnn_service_watching = 0; /* an upload of the program's own ends a watch */
#endif
    bnn_service_store(bnn_service_get_u32le(payload + BNN_SERVICE_LOAD_OFF_SEQ), offset, payload + BNN_SERVICE_LOAD_OFF_DATA, len - BNN_SERVICE_LOAD_OFF_DATA);
}

#if BNN_SERVICE_FRAMES
static void bnn_service_watch_frame(const uint8_t *payload, size_t len) {
    if (payload == NULL || len != BNN_SERVICE_WATCH_BYTES) return;
    bnn_service_watch_seq = bnn_service_get_u32le(payload + BNN_SERVICE_WATCH_OFF_SEQ);
    bnn_service_watch_frame_id = bnn_service_get_u32le(payload + BNN_SERVICE_WATCH_OFF_FRAME_ID);
    bnn_service_watching = 1;
    bnn_service_upload_open = 0; /* what was uploaded before is gone; the frame's offset 0 starts */
}

int bnn_service_observe_report(uint32_t service_class, unsigned code, const uint8_t *payload, size_t len) {
    if (!bnn_service_watching || service_class != BNN_SERVICE_CAMERA_CLASS || code != BNN_SERVICE_CAMERA_REPORT_FRAME_CHUNK) return 0;
    if (payload == NULL || len < BNN_SERVICE_CHUNK_OFF_PIXELS) return 0;
    if (bnn_service_get_u32le(payload + BNN_SERVICE_CHUNK_OFF_FRAME_ID) != bnn_service_watch_frame_id) return 0;
    bnn_service_store(bnn_service_watch_seq, bnn_service_get_u16le(payload + BNN_SERVICE_CHUNK_OFF_OFFSET), payload + BNN_SERVICE_CHUNK_OFF_PIXELS, len - BNN_SERVICE_CHUNK_OFF_PIXELS);
    return 1;
}
#endif /* BNN_SERVICE_FRAMES */

/* Status of the upload for a command of `seq` that needs `bytes` bytes: OK, BadLength, BadUpload. */
static uint8_t bnn_service_upload_status(uint32_t seq, size_t bytes) {
    if (bytes == 0 || bytes > BNN_SERVICE_UPLOAD_BYTES) return BNN_SERVICE_STATUS_BAD_LENGTH;
    if (!bnn_service_upload_open || seq != bnn_service_upload_seq || bnn_service_upload_len != bytes) return BNN_SERVICE_STATUS_BAD_UPLOAD;
    return BNN_SERVICE_STATUS_OK;
}

/* The rasterizer and the camera preprocessing give a 28x28 input. */
#define BNN_SERVICE_TAKES_28X28 (BNN_INPUT_WIDTH == 28 && BNN_INPUT_HEIGHT == 28)

/*
 * The checks classify_strokes and classify_frame make first, in their order (bnn_service.h):
 * room for an error report, the header, the command's length `bytes` (and a 28x28 model), the
 * model id. Returns 0 with *seq set when the payload passes, else what the handler returns (an
 * error report's length or BNN_SERVICE_ERR_REPORT_CAP). bnn_service_classify checks the model id
 * before the length (its documented order), so it keeps its own checks.
 */
static int bnn_service_check_28x28_command(const uint8_t *payload, size_t len, size_t bytes, uint8_t *report, size_t report_cap, uint32_t *seq) {
    if (report == NULL || report_cap < BNN_SERVICE_ERROR_REPORT_BYTES) return BNN_SERVICE_ERR_REPORT_CAP;
    if (payload == NULL || len < BNN_SERVICE_HEADER_BYTES) return bnn_service_error_report(report, 0, BNN_SERVICE_STATUS_BAD_LENGTH);
    *seq = bnn_service_get_u32le(payload + BNN_SERVICE_CMD_OFF_SEQ);
    if (len != bytes || !BNN_SERVICE_TAKES_28X28) return bnn_service_error_report(report, *seq, BNN_SERVICE_STATUS_BAD_LENGTH);
    if (bnn_service_get_u32le(payload + BNN_SERVICE_CMD_OFF_MODEL_ID) != (uint32_t)BNN_MODEL_ID32)
        return bnn_service_error_report(report, *seq, BNN_SERVICE_STATUS_MODEL_MISMATCH);
    return 0;
}

#if BNN_SERVICE_STROKES
static int bnn_service_classify_strokes(const uint8_t *payload, size_t len, uint8_t *report, size_t report_cap, bnn_service_clock_fn now_us) {
    uint32_t *words = bnn_service_words;
    uint32_t seq = 0;
    int rejected = bnn_service_check_28x28_command(payload, len, BNN_SERVICE_STROKES_BYTES, report, report_cap, &seq);
    if (rejected != 0) return rejected;
    int32_t panel_width = (int32_t)bnn_service_get_u16le(payload + BNN_SERVICE_STROKES_OFF_PANEL_WIDTH);
    int32_t panel_height = (int32_t)bnn_service_get_u16le(payload + BNN_SERVICE_STROKES_OFF_PANEL_HEIGHT);
    size_t pairs = bnn_service_get_u16le(payload + BNN_SERVICE_STROKES_OFF_PAIRS);
    uint8_t status = bnn_service_upload_status(seq, 4 * pairs);
    if (status == BNN_SERVICE_STATUS_OK && (panel_width == 0 || panel_height == 0)) status = BNN_SERVICE_STATUS_BAD_LENGTH;
    if (status != BNN_SERVICE_STATUS_OK) return bnn_service_error_report(report, seq, status);
    if (report_cap < BNN_SERVICE_REPORT_BYTES) return BNN_SERVICE_ERR_REPORT_CAP;
    uint32_t t0 = now_us ? now_us() : 0;
    bnn_raster_info_t info;
    if (bnn_raster_strokes(bnn_service_upload, pairs, panel_width, panel_height, words, &info) != BNN_OK)
        return bnn_service_error_report(report, seq, BNN_SERVICE_STATUS_MODEL_ERROR);
    bnn_service_upload_open = 0; /* used: a second classify of the same seq needs a new upload */
    if (info.points == 0) return bnn_service_error_report(report, seq, BNN_SERVICE_STATUS_NO_DIGIT);
    return bnn_service_classify_words(words, seq, report, t0, now_us);
}
#endif /* BNN_SERVICE_STROKES */

#if BNN_SERVICE_FRAMES
static int bnn_service_classify_frame(const uint8_t *payload, size_t len, uint8_t *report, size_t report_cap, bnn_service_clock_fn now_us) {
    uint32_t *words = bnn_service_words;
    static uint8_t pixels[BNN_PREPROCESS_OUT_PIXELS];
    uint32_t seq = 0;
    int rejected = bnn_service_check_28x28_command(payload, len, BNN_SERVICE_FRAME_BYTES, report, report_cap, &seq);
    if (rejected != 0) return rejected;
    int width = (int)bnn_service_get_u16le(payload + BNN_SERVICE_FRAME_OFF_WIDTH);
    int height = (int)bnn_service_get_u16le(payload + BNN_SERVICE_FRAME_OFF_HEIGHT);
    uint8_t status = bnn_service_upload_status(seq, (size_t)width * (size_t)height);
    if (status != BNN_SERVICE_STATUS_OK) return bnn_service_error_report(report, seq, status);
    if (report_cap < BNN_SERVICE_REPORT_BYTES) return BNN_SERVICE_ERR_REPORT_CAP;
    uint32_t t0 = now_us ? now_us() : 0;
    int ink = bnn_preprocess_frame(bnn_service_upload, width, height, pixels);
    bnn_service_upload_open = 0;
    if (ink < 0) return bnn_service_error_report(report, seq, BNN_SERVICE_STATUS_BAD_LENGTH);
    if (ink == 0) return bnn_service_error_report(report, seq, BNN_SERVICE_STATUS_NO_DIGIT);
    bnn_pack_pixels(pixels, words);
    return bnn_service_classify_words(words, seq, report, t0, now_us);
}
#endif /* BNN_SERVICE_FRAMES */
#endif /* BNN_SERVICE_UPLOADS */

#if !BNN_SERVICE_FRAMES
int bnn_service_observe_report(uint32_t service_class, unsigned code, const uint8_t *payload, size_t len) {
    (void)service_class;
    (void)code;
    (void)payload;
    (void)len;
    return 0;
}
#endif

int bnn_service_command(unsigned cmd, const uint8_t *payload, size_t len, uint8_t *report, size_t report_cap, bnn_service_clock_fn now_us) {
    switch (cmd) {
    case BNN_SERVICE_CMD_CLASSIFY:
        return bnn_service_classify(payload, len, report, report_cap, now_us);
#if BNN_SERVICE_UPLOADS
    case BNN_SERVICE_CMD_LOAD:
        bnn_service_load(payload, len);
        return 0;
#endif
#if BNN_SERVICE_STROKES
    case BNN_SERVICE_CMD_CLASSIFY_STROKES:
        return bnn_service_classify_strokes(payload, len, report, report_cap, now_us);
#endif
#if BNN_SERVICE_FRAMES
    case BNN_SERVICE_CMD_CLASSIFY_FRAME:
        return bnn_service_classify_frame(payload, len, report, report_cap, now_us);
    case BNN_SERVICE_CMD_WATCH_FRAME:
        bnn_service_watch_frame(payload, len);
        return 0;
#endif
    default: /* unknown, or left out of this build */
        return BNN_SERVICE_NOT_IMPLEMENTED;
    }
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
    case BNN_SERVICE_REG_UPLOAD_CAPACITY:
        value = BNN_SERVICE_UPLOADS ? BNN_SERVICE_UPLOAD_BYTES : 0;
        size = 2;
        break;
    default:
        return 0;
    }
    if (out == NULL || cap < (size_t)size)
        return BNN_SERVICE_ERR_REPORT_CAP;
    for (int i = 0; i < size; i++) out[i] = (uint8_t)(value >> (8 * i));
    return size;
}
