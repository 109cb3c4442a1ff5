/*
 * jd_bnn_classifier.c: the jacdac-c server of the BNN Classifier service
 * (services/bnnclassifier.md, docs/service.md). All payload parsing and report building is in
 * the transport-independent core bnn_service.c; this file only moves packets.
 *
 * Call bnn_classifier_init() once from app_init_services() (devicescript-pico src/main.c,
 * devicescript-esp32 main/main.c), after devs_service_full_init().
 *
 * Written against the jacdac-c API of microsoft/jacdac-c commit
 * a1bcc47713e742dac68be67b1459932a3f64ab5a (2025-03-21): SRV_COMMON / SRV_DEF / SRV_ALLOC /
 * REG_DEFINITION / REG_SRV_COMMON / service_handle_register_final (inc/jd_service_framework.h),
 * jd_send (inc/interfaces/jd_tx.h), JD_IS_GET / JD_REG_CODE (inc/jd_control.h), jd_packet_t
 * (inc/jd_physical.h), tim_get_micros (inc/interfaces/jd_hw.h), modelled on services/i2cserv.c;
 * jd_client_subscribe and JD_CLIENT_EV_SERVICE_PACKET (inc/jd_client.h, client/routing.c: every
 * packet of another service, also of this device's own, which tx_queue.c loops back) for
 * watch_frame.
 * It is not compiled in this repository (jacdac-c is not vendored here); the core it calls is
 * tested by test_service.c and fuzz_service.c.
 */
#include "jd_protocol.h"
#include "jd_client.h"

#include "bnn_service.h"

struct srv_state {
    SRV_COMMON;
};

/* No register lives in the state: the GETs are answered from bnn_service_get_register(). */
REG_DEFINITION(            //
    bnn_classifier_regs,   //
    REG_SRV_COMMON,        //
)

static uint32_t bnn_classifier_now_us(void) {
    return (uint32_t)tim_get_micros();
}

static void bnn_classifier_process(srv_t *state) {
    (void)state;
}

static void bnn_classifier_handle_packet(srv_t *state, jd_packet_t *pkt) {
    if (pkt->service_command == BNN_SERVICE_CMD_CLASSIFY || pkt->service_command == BNN_SERVICE_CMD_LOAD ||
        pkt->service_command == BNN_SERVICE_CMD_CLASSIFY_STROKES || pkt->service_command == BNN_SERVICE_CMD_CLASSIFY_FRAME ||
        pkt->service_command == BNN_SERVICE_CMD_WATCH_FRAME) {
        /* a classify report (also for a bad payload) goes back with the command's code; load and
         * watch_frame have none; a command this build leaves out (BNN_SERVICE_STROKES,
         * BNN_SERVICE_FRAMES) goes on to command_not_implemented below */
        uint8_t report[BNN_SERVICE_REPORT_BYTES];
        int n = bnn_service_command(pkt->service_command, pkt->data, pkt->service_size, report, sizeof(report),
                                    bnn_classifier_now_us);
        if (n > 0)
            jd_send(pkt->service_index, pkt->service_command, report, (unsigned)n);
        if (n != BNN_SERVICE_NOT_IMPLEMENTED)
            return;
    } else if (JD_IS_GET(pkt->service_command)) {
        uint8_t value[4];
        int n = bnn_service_get_register(JD_REG_CODE(pkt->service_command), value, sizeof(value));
        if (n > 0) {
            jd_send(pkt->service_index, pkt->service_command, value, (unsigned)n);
            return;
        }
    }

    /* everything else (SET of a read-only register, unknown or left-out commands): jacdac-c sends
     * command_not_implemented */
    service_handle_register_final(state, pkt, bnn_classifier_regs);
}

#if BNN_SERVICE_FRAMES
/* Every report of another service goes past the core: it takes the camera frame chunks that a
 * watch_frame command asked for (services/bnnclassifier.md). */
static void bnn_classifier_client_event(void *userdata, int event_id, void *arg0, void *arg1) {
    (void)userdata;
    if (event_id != JD_CLIENT_EV_SERVICE_PACKET || arg0 == NULL || arg1 == NULL) return;
    jd_device_service_t *serv = (jd_device_service_t *)arg0;
    jd_packet_t *pkt = (jd_packet_t *)arg1;
    if (!jd_is_report(pkt)) return;
    bnn_service_observe_report(serv->service_class, pkt->service_command, pkt->data, pkt->service_size);
}
#endif

SRV_DEF(bnn_classifier, BNN_SERVICE_CLASS);

void bnn_classifier_init(void) {
    SRV_ALLOC(bnn_classifier);
#if BNN_SERVICE_FRAMES
    jd_client_subscribe(bnn_classifier_client_event, NULL);
#endif
}
