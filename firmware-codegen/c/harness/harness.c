#include "harness.h"

#include "bnn_model.h"

/* Hidden layer widths in words, from the generated header's layer count. */
static uint32_t record_in[BNN_INPUT_WORDS];

int bnn_harness_run(void) {
    int32_t scores[BNN_OUTPUTS];
    for (;;) {
        size_t got = bnn_io_read(record_in, sizeof record_in);
        if (got == 0) return 0;
        if (got != sizeof record_in) return 1;
        int digit = bnn_classify(record_in, BNN_INPUT_WORDS, scores, BNN_OUTPUTS);
        if (digit < 0) return 1;
        if (bnn_io_write(scores, sizeof scores)) return 1;
        for (int layer = 0; layer < BNN_HIDDEN_LAYERS; layer++) {
            if (bnn_io_write(bnn_hidden_output(layer), BNN_HIDDEN_WORDS(layer) * sizeof(uint32_t))) return 1;
        }
    }
}
