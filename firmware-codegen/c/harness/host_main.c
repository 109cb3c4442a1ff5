/* Host build of the harness: records on stdin, results on stdout. */
#include <stdio.h>

#include "harness.h"

size_t bnn_io_read(void *buf, size_t len) { return fread(buf, 1, len, stdin); }

int bnn_io_write(const void *buf, size_t len) { return fwrite(buf, 1, len, stdout) != len; }

int main(void) {
    int rc = bnn_harness_run();
    if (fflush(stdout) != 0) rc = 1;
    return rc;
}
