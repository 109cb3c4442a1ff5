/*
 * Host timing build: reads every input record from stdin, classifies them all `rounds` times
 * (argv[1]) and prints the mean nanoseconds per inference and a checksum of the digits (so the
 * work cannot be optimized away and variants can be checked against each other).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bnn_model.h"

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 10;
    size_t cap = 1024, n = 0;
    uint32_t *records = malloc(cap * BNN_INPUT_WORDS * sizeof(uint32_t));
    while (records && fread(records + n * BNN_INPUT_WORDS, sizeof(uint32_t) * BNN_INPUT_WORDS, 1, stdin) == 1) {
        if (++n == cap) records = realloc(records, (cap *= 2) * BNN_INPUT_WORDS * sizeof(uint32_t));
    }
    if (!records || n == 0) return 1;
    int32_t scores[BNN_OUTPUTS];
    unsigned long checksum = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) checksum = checksum * 31u + (unsigned long)bnn_classify(records + i * BNN_INPUT_WORDS, BNN_INPUT_WORDS, scores, BNN_OUTPUTS);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / ((double)n * rounds);
    printf("{\"inferenceNs\": %.1f, \"images\": %zu, \"rounds\": %d, \"checksum\": \"%lu\"}\n", ns, n, rounds, checksum);
    free(records);
    return 0;
}
