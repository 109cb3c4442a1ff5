/*
 * WebAssembly build: the host (Node, or the simulated classifier device) writes input bits into
 * bnn_wasm_input and calls bnn_wasm_classify; scores land in bnn_wasm_scores. No libc.
 */
#include <stddef.h>
#include <stdint.h>

#include "bnn_model.h"

uint32_t bnn_wasm_input[BNN_INPUT_WORDS];
int32_t bnn_wasm_scores[BNN_OUTPUTS];

int bnn_wasm_classify(void) { return bnn_classify(bnn_wasm_input, bnn_wasm_scores); }

uint32_t *bnn_wasm_input_ptr(void) { return bnn_wasm_input; }
int32_t *bnn_wasm_scores_ptr(void) { return bnn_wasm_scores; }
const uint32_t *bnn_wasm_hidden_ptr(int layer) { return bnn_hidden_output(layer); }
int bnn_wasm_hidden_words(int layer) { return BNN_HIDDEN_WORDS(layer); }

void *memset(void *d, int c, size_t n) {
    unsigned char *p = d;
    while (n--) *p++ = (unsigned char)c;
    return d;
}
