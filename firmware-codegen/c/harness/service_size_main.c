/*
 * The entry of the link that `bnn report` measures the classifier service's flash and RAM on
 * (lib/measure/service-footprint.ts): it calls what the jacdac adapter (c/service/
 * jd_bnn_classifier.c) calls, with values the compiler cannot know, so that ld --gc-sections
 * keeps exactly the code and data a firmware with the service links. Linked, never run.
 */
#include <stddef.h>
#include <stdint.h>

#include "bnn_service.h"

volatile unsigned bnn_size_code;
volatile size_t bnn_size_len;
volatile uint32_t bnn_size_class;
uint8_t *volatile bnn_size_packet;

void bnn_size_entry(void) {
    uint8_t report[BNN_SERVICE_REPORT_BYTES];
    uint8_t value[4];
    (void)bnn_service_command(bnn_size_code, bnn_size_packet, bnn_size_len, report, sizeof report, NULL);
    (void)bnn_service_get_register(bnn_size_code, value, sizeof value);
    (void)bnn_service_observe_report(bnn_size_class, bnn_size_code, bnn_size_packet, bnn_size_len);
    for (;;) {
    }
}
