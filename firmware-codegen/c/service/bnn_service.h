/*
 * bnn_service.h: the transport-independent core of the BNN Classifier Jacdac service.
 *
 * The wire format is specified in services/bnnclassifier.md (the single source of the numbers
 * below) and described byte by byte in docs/service.md. Pure C99: no jacdac-c, no malloc, only
 * <stdint.h>, <stddef.h> and <string.h>. jd_bnn_classifier.c adapts it to jacdac-c.
 *
 * Why the codes are defined here: `devs build` generates C constants from the spec into
 * .devicescript/c/constants.c, but that directory is a build artifact (not committed, absent in
 * the devicescript-pico / devicescript-esp32 trees) and its structs use zero-length arrays
 * (not ISO C99). So the numbers are repeated here, and test_service.c checks them against
 * services/bnnclassifier.md (always) and against .devicescript/c/constants.c (when built with
 * -DBNN_CHECK_DEVS_CONSTANTS -I.devicescript/c).
 */
#ifndef BNN_SERVICE_H
#define BNN_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "bnn_model.h"

/* ---- codes from services/bnnclassifier.md (checked by test_service.c) ---- */
#define BNN_SERVICE_CLASS 0x1e477ab1u /* identifier: (JD_SERVICE_CLASS_BNN_CLASSIFIER) */
#define BNN_SERVICE_CMD_CLASSIFY 0x80 /* command classify (its report has the same code) */
#define BNN_SERVICE_REG_MODEL_ID 0x180 /* const u32 */
#define BNN_SERVICE_REG_INPUT_WIDTH 0x181 /* const u16 */
#define BNN_SERVICE_REG_INPUT_HEIGHT 0x182 /* const u16 */
#define BNN_SERVICE_REG_INPUT_BITS 0x183 /* const u16 */
#define BNN_SERVICE_REG_OUTPUTS 0x184 /* const u8 */
#define BNN_SERVICE_REG_SCORE_SHIFT 0x185 /* const u8 */
#define BNN_SERVICE_REG_INFERENCE_COUNT 0x186 /* ro u32 */
#define BNN_SERVICE_REG_UPLOAD_CAPACITY 0x187 /* const u16 */
#define BNN_SERVICE_CMD_LOAD 0x81 /* command load (no report) */
#define BNN_SERVICE_CMD_CLASSIFY_STROKES 0x82 /* command classify_strokes (report as classify) */
#define BNN_SERVICE_CMD_CLASSIFY_FRAME 0x83 /* command classify_frame (report as classify) */
#define BNN_SERVICE_CMD_WATCH_FRAME 0x84 /* command watch_frame (no report) */

/* enum Status : u8 -- the status byte of the classify report */
#define BNN_SERVICE_STATUS_OK 0
#define BNN_SERVICE_STATUS_BAD_LENGTH 1 /* payload is not exactly BNN_SERVICE_PAYLOAD_BYTES */
#define BNN_SERVICE_STATUS_MODEL_MISMATCH 2 /* model_id != BNN_MODEL_ID32 */
#define BNN_SERVICE_STATUS_MODEL_ERROR 3 /* bnn_classify returned a negative status */
#define BNN_SERVICE_STATUS_BAD_UPLOAD 4 /* the upload for this seq is incomplete */
#define BNN_SERVICE_STATUS_NO_DIGIT 5 /* no point, no ink: nothing to classify */

/* ---- classify command payload: u32 model_id, u32 seq, bytes input_bits ---- */
#define BNN_SERVICE_CMD_OFF_MODEL_ID 0
#define BNN_SERVICE_CMD_OFF_SEQ 4
#define BNN_SERVICE_CMD_OFF_INPUT_BITS 8
#define BNN_SERVICE_HEADER_BYTES 8
/* The packed input: BNN_INPUT_WORDS little-endian u32 words (100 bytes for 28x28). */
#define BNN_SERVICE_INPUT_BYTES (4 * BNN_INPUT_WORDS)
#define BNN_SERVICE_PAYLOAD_BYTES (BNN_SERVICE_HEADER_BYTES + BNN_SERVICE_INPUT_BYTES)

/* ---- load: u32 seq, u16 offset, bytes data ---- */
#define BNN_SERVICE_LOAD_OFF_SEQ 0
#define BNN_SERVICE_LOAD_OFF_OFFSET 4
#define BNN_SERVICE_LOAD_OFF_DATA 6
/* ---- classify_strokes: u32 model_id, u32 seq, u16 panel_width, u16 panel_height, u16 pairs ---- */
#define BNN_SERVICE_STROKES_OFF_PANEL_WIDTH 8
#define BNN_SERVICE_STROKES_OFF_PANEL_HEIGHT 10
#define BNN_SERVICE_STROKES_OFF_PAIRS 12
#define BNN_SERVICE_STROKES_BYTES 14
/* ---- classify_frame: u32 model_id, u32 seq, u16 width, u16 height ---- */
#define BNN_SERVICE_FRAME_OFF_WIDTH 8
#define BNN_SERVICE_FRAME_OFF_HEIGHT 10
#define BNN_SERVICE_FRAME_BYTES 12
/* watch_frame payload: seq u32, frame_id u32 */
#define BNN_SERVICE_WATCH_OFF_SEQ 0
#define BNN_SERVICE_WATCH_OFF_FRAME_ID 4
#define BNN_SERVICE_WATCH_BYTES 8
/* The Digit Camera's frame_chunk report (services/digitcamera.md): frame_id u32, offset u16,
 * total u16, pixels. */
#define BNN_SERVICE_CAMERA_CLASS 0x1deebedcu
#define BNN_SERVICE_CAMERA_REPORT_FRAME_CHUNK 0x81
#define BNN_SERVICE_CHUNK_OFF_FRAME_ID 0
#define BNN_SERVICE_CHUNK_OFF_OFFSET 4
#define BNN_SERVICE_CHUNK_OFF_PIXELS 8

/* ---- configuration: which upload commands the build serves, and the RAM they cost ----
 * BNN_SERVICE_STROKES 1: load + classify_strokes (touch; links bnn_raster.c).
 * BNN_SERVICE_FRAMES 1: load + classify_frame + watch_frame (camera; links bnn_preprocess.c).
 * Both default to 1. A command a build leaves out is answered like an unknown one:
 * bnn_service_command returns BNN_SERVICE_NOT_IMPLEMENTED and jd_bnn_classifier.c sends
 * jacdac's command_not_implemented (services/bnnclassifier.md). classify is always served. */
#ifndef BNN_SERVICE_STROKES
#define BNN_SERVICE_STROKES 1
#endif
#ifndef BNN_SERVICE_FRAMES
#define BNN_SERVICE_FRAMES 1
#endif

/* Largest stroke upload served, in pairs (4 bytes each). A digit's upload is one pair per point
 * and one per stroke (encodeStrokes, src/shared/stroke-raster.ts). The program keeps at most
 * MAX_POINTS = 1,000 points a digit (src/shared/touch-samples.ts): up to 2,000 pairs (8,000 B)
 * for 1,000 one-point strokes, more than any buffer here ever held. Real digits are far smaller:
 * the largest of the 18,494 digits of the stroke sets (the MNIST test digits as strokes, the UCI
 * pen digits, the Hershey set) has 184 pairs, and a finger on a Digit Touch panel sampled every
 * 10 ms (its default sample_period, services/digittouch.md) makes 400 pairs in 4 s of unbroken
 * drawing. The program reads upload_capacity and classifies a digit that does not fit with its
 * bytecode, which computes the same bits (src/app.ts). */
#ifndef BNN_SERVICE_STROKE_PAIRS
#define BNN_SERVICE_STROKE_PAIRS 400
#endif
/* Largest camera frame served, in pixels (1 byte each): 64x64, which holds the Digit Camera's
 * 64x48 and 40x40 frames (services/digitcamera.md; the simulated camera sends 64x48). */
#ifndef BNN_SERVICE_FRAME_PIXELS
#define BNN_SERVICE_FRAME_PIXELS 4096
#endif

/* Bytes of the upload buffer of load (the upload_capacity register): what the enabled commands
 * need, the larger of the two with both; 0 (no buffer, load not served) with neither. A build
 * may set it (at most 65535). */
#define BNN_SERVICE_STROKE_UPLOAD_BYTES (BNN_SERVICE_STROKES ? 4 * (BNN_SERVICE_STROKE_PAIRS) : 0)
#define BNN_SERVICE_FRAME_UPLOAD_BYTES (BNN_SERVICE_FRAMES ? (BNN_SERVICE_FRAME_PIXELS) : 0)
#ifndef BNN_SERVICE_UPLOAD_BYTES
#define BNN_SERVICE_UPLOAD_BYTES                                                                    \
    (BNN_SERVICE_STROKE_UPLOAD_BYTES > BNN_SERVICE_FRAME_UPLOAD_BYTES ? BNN_SERVICE_STROKE_UPLOAD_BYTES \
                                                                      : BNN_SERVICE_FRAME_UPLOAD_BYTES)
#endif
/* load is served when a command that needs it is */
#define BNN_SERVICE_UPLOADS (BNN_SERVICE_STROKES || BNN_SERVICE_FRAMES)

/* ---- classify report: u32 seq, u8 status, i8 digit, u16 reserved, u32 inference_time (us),
 * i32 score[outputs] (scores only when status is Ok) ---- */
#define BNN_SERVICE_REP_OFF_SEQ 0
#define BNN_SERVICE_REP_OFF_STATUS 4
#define BNN_SERVICE_REP_OFF_DIGIT 5
#define BNN_SERVICE_REP_OFF_RESERVED 6
#define BNN_SERVICE_REP_OFF_INFERENCE_TIME 8
#define BNN_SERVICE_REP_OFF_SCORES 12
#define BNN_SERVICE_ERROR_REPORT_BYTES 12
#define BNN_SERVICE_REPORT_BYTES (BNN_SERVICE_REP_OFF_SCORES + 4 * BNN_OUTPUTS)

/* Largest Jacdac packet payload. */
#define BNN_SERVICE_MAX_PACKET_BYTES 236

/* Compile-time checks (C99: a negative array size is an error). */
typedef char bnn_service_report_fits_packet[BNN_SERVICE_REPORT_BYTES <= BNN_SERVICE_MAX_PACKET_BYTES ? 1 : -1];
typedef char bnn_service_payload_fits_packet[BNN_SERVICE_PAYLOAD_BYTES <= BNN_SERVICE_MAX_PACKET_BYTES ? 1 : -1];
typedef char bnn_service_outputs_fit_u8[BNN_OUTPUTS <= 127 ? 1 : -1];

/* Negative results of the functions below (never produced for a bad payload: that gets an
 * error report with a status instead). */
#define BNN_SERVICE_ERR_REPORT_CAP (-1) /* report is NULL or report_cap is too small */
#define BNN_SERVICE_NOT_IMPLEMENTED (-2) /* bnn_service_command: not a command this build serves */

/* A microsecond clock (may wrap); NULL means "no clock" and reports 0 us. */
typedef uint32_t (*bnn_service_clock_fn)(void);

/*
 * Handles one classify command payload (payload[0..len-1]; payload may be NULL when len is 0
 * and may be at any alignment). Checks, in order:
 *   len < BNN_SERVICE_HEADER_BYTES          -> status BadLength, seq 0
 *   model_id != BNN_MODEL_ID32              -> status ModelMismatch
 *   len != BNN_SERVICE_PAYLOAD_BYTES        -> status BadLength
 *   bnn_classify(...) < 0                   -> status ModelError
 * Writes the report (little-endian, layout above) to report[0..report_cap-1] and returns its
 * length: BNN_SERVICE_REPORT_BYTES on success, BNN_SERVICE_ERROR_REPORT_BYTES for an error
 * status. Returns BNN_SERVICE_ERR_REPORT_CAP (writing nothing) when report is NULL or
 * report_cap < the length of the report to write. Never reads past payload[len - 1], never
 * writes past report[report_cap - 1]. payload and report must not overlap.
 * Counts successful classifications (bnn_service_inference_count). Not reentrant (bnn_classify
 * uses static buffers).
 */
int bnn_service_classify(const uint8_t *payload, size_t len, uint8_t *report, size_t report_cap,
                         bnn_service_clock_fn now_us);

/*
 * Handles any command of the service (cmd: a BNN_SERVICE_CMD_* code; payload as for
 * bnn_service_classify). Returns the length of the report written to report (classify,
 * classify_strokes, classify_frame: always a report, also for a bad payload), 0 for a command
 * without a report (load, watch_frame), BNN_SERVICE_ERR_REPORT_CAP, or
 * BNN_SERVICE_NOT_IMPLEMENTED (nothing read or written) for an unknown command and for one the
 * configuration leaves out (BNN_SERVICE_STROKES, BNN_SERVICE_FRAMES).
 * classify_strokes and classify_frame check, in order: length (BadLength), model id
 * (ModelMismatch), that the upload for seq holds exactly the bytes the command names (BadUpload;
 * BadLength when they exceed BNN_SERVICE_UPLOAD_BYTES or the panel/frame size is 0), then
 * preprocess (NoDigit when there is nothing to classify) and classify. Not reentrant.
 */
int bnn_service_command(unsigned cmd, const uint8_t *payload, size_t len, uint8_t *report, size_t report_cap,
                        bnn_service_clock_fn now_us);

/*
 * Value of register reg (a BNN_SERVICE_REG_* code), little-endian, in out[0..cap-1]. Returns the
 * number of bytes (1, 2 or 4), 0 when reg is not a register of this service, or
 * BNN_SERVICE_ERR_REPORT_CAP when out is NULL or cap is too small.
 */
int bnn_service_get_register(unsigned reg, uint8_t *out, size_t cap);

/*
 * A report some other service sent on the bus (service_class of its sender, its code and
 * payload): the frame_chunk reports of the Digit Camera frame a watch_frame command named are
 * stored as an upload (services/bnnclassifier.md, watch_frame). Returns 1 when the report was
 * taken, 0 when it is not one this service watches (always 0 without BNN_SERVICE_FRAMES). Never
 * reads past payload[len - 1].
 */
int bnn_service_observe_report(uint32_t service_class, unsigned code, const uint8_t *payload, size_t len);

/* Successful classifications since start (the inference_count register). */
uint32_t bnn_service_inference_count(void);

/* The jacdac-c server (jd_bnn_classifier.c, firmware builds only): allocates the service; call
 * once from app_init_services(). */
void bnn_classifier_init(void);

/* Little-endian helpers (exposed for the adapter and the tests). */
static inline uint32_t bnn_service_get_u16le(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static inline uint32_t bnn_service_get_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void bnn_service_put_u32le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#endif /* BNN_SERVICE_H */
