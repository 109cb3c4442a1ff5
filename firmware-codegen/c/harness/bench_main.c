/*
 * Instruction-count build: reads one input record from bnn_in.bin through semihosting and
 * classifies it BNN_BENCH_RUNS times. Counting the executed instructions of two builds that
 * differ only in BNN_BENCH_RUNS gives the exact count of one inference.
 */
#include "bnn_model.h"
#include "harness.h"
#include "semihost.h"

#ifndef BNN_BENCH_RUNS
#define BNN_BENCH_RUNS 1
#endif

static uint32_t input[BNN_INPUT_WORDS];
static int32_t scores[BNN_OUTPUTS];

int main(void) {
    intptr_t open_args[3] = {(intptr_t) "bnn_in.bin", 1, 10};
    intptr_t h = semihost_call(SH_SYS_OPEN, open_args);
    if (h < 0) return 1;
    intptr_t read_args[3] = {h, (intptr_t)input, sizeof input};
    if (semihost_call(SH_SYS_READ, read_args) != 0) return 1;
    int digit = 0;
    for (int r = 0; r < BNN_BENCH_RUNS; r++) digit |= bnn_classify(input, scores);
    return digit < 0;
}
