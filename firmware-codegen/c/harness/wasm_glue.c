/*
 * WebAssembly build: the generated model and the classifier service core, as the firmware runs
 * them. The host (Node: the verification matrix, the simulated classifier device) writes into
 * the exported buffers and calls the exported functions. No libc. The host provides
 * env.now_us, a microsecond clock, for the service's inference time. (memset/memcpy: libc_min.c.)
 */
#include <stddef.h>
#include <stdint.h>

#include "bnn_model.h"
#include "bnn_service.h"

__attribute__((import_module("env"), import_name("now_us"))) uint32_t bnn_host_now_us(void);

uint32_t bnn_wasm_input[BNN_INPUT_WORDS];
int32_t bnn_wasm_scores[BNN_OUTPUTS];
uint8_t bnn_wasm_packet[BNN_SERVICE_MAX_PACKET_BYTES];
uint8_t bnn_wasm_report[BNN_SERVICE_MAX_PACKET_BYTES];

int bnn_wasm_classify(void) { return bnn_classify(bnn_wasm_input, BNN_INPUT_WORDS, bnn_wasm_scores, BNN_OUTPUTS); }

uint32_t *bnn_wasm_input_ptr(void) { return bnn_wasm_input; }
int32_t *bnn_wasm_scores_ptr(void) { return bnn_wasm_scores; }
const uint32_t *bnn_wasm_hidden_ptr(int layer) { return bnn_hidden_output(layer); }
int bnn_wasm_hidden_words(int layer) { return BNN_HIDDEN_WORDS(layer); }

/* The service: the payload of a command goes to bnn_wasm_packet, its report comes back in
 * bnn_wasm_report. */
uint8_t *bnn_wasm_packet_ptr(void) { return bnn_wasm_packet; }
uint8_t *bnn_wasm_report_ptr(void) { return bnn_wasm_report; }
/* Any command `cmd` of the service with a payload of `len` bytes in bnn_wasm_packet; the report
 * (if the command has one) lands in bnn_wasm_report; returns its length, 0 for none. */
int bnn_wasm_service_command(int cmd, int len) {
    if (len < 0 || len > (int)sizeof bnn_wasm_packet) return -1;
    return bnn_service_command((unsigned)cmd, bnn_wasm_packet, (size_t)len, bnn_wasm_report, sizeof bnn_wasm_report, bnn_host_now_us);
}
/* Register value of `reg` into bnn_wasm_report; returns its length, 0 for an unknown register. */
int bnn_wasm_service_register(int reg) { return bnn_service_get_register((unsigned)reg, bnn_wasm_report, sizeof bnn_wasm_report); }
/* A report another service sent on the bus (frame chunks of a watched camera frame), payload of
 * `len` bytes in bnn_wasm_packet; returns 1 when the service took it. */
int bnn_wasm_service_observe(uint32_t service_class, int code, int len) {
    if (len < 0 || len > (int)sizeof bnn_wasm_packet) return 0;
    return bnn_service_observe_report(service_class, (unsigned)code, bnn_wasm_packet, (size_t)len);
}
