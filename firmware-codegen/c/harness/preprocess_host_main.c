/* Host build of the preprocessing harness: records on stdin, results on stdout, flushed after
 * each write so that a test can converse with one process, a record at a time. */
#include <stdio.h>

#include "harness.h"

size_t bnn_io_read(void *buf, size_t len) { return fread(buf, 1, len, stdin); }

int bnn_io_write(const void *buf, size_t len) { return fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0; }

int main(void) { return bnn_harness_run(); }
