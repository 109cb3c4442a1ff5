/*
 * Instruction-count build: classifies every input record of bnn_in.bin (read through
 * semihosting one record at a time). The executed-instruction count of a run with N records
 * minus that of a run with none is the exact count of those N inferences.
 */
#include "bnn_model.h"
#include "semihost.h"

static uint32_t input[BNN_INPUT_WORDS];
static int32_t scores[BNN_OUTPUTS];

int main(void) {
    intptr_t open_args[3] = {(intptr_t) "bnn_in.bin", 1, 10};
    intptr_t h = semihost_call(SH_SYS_OPEN, open_args);
    if (h < 0) return 1;
    int bad = 0;
    for (;;) {
        intptr_t read_args[3] = {h, (intptr_t)input, sizeof input};
        if (semihost_call(SH_SYS_READ, read_args) != 0) break;
        bad |= bnn_classify(input, BNN_INPUT_WORDS, scores, BNN_OUTPUTS) < 0;
    }
    return bad;
}
