/* Emulated-core build of the harness: reads bnn_in.bin and writes bnn_out.bin through semihosting. */
#include "harness.h"
#include "semihost.h"

static intptr_t in_handle = -1;
static intptr_t out_handle = -1;

static intptr_t sh_open(const char *name, int mode) {
    int len = 0;
    while (name[len]) len++;
    intptr_t args[3] = {(intptr_t)name, mode, len};
    return semihost_call(SH_SYS_OPEN, args);
}

size_t bnn_io_read(void *buf, size_t len) {
    intptr_t args[3] = {in_handle, (intptr_t)buf, (intptr_t)len};
    intptr_t not_read = semihost_call(SH_SYS_READ, args);
    return len - (size_t)not_read;
}

int bnn_io_write(const void *buf, size_t len) {
    intptr_t args[3] = {out_handle, (intptr_t)buf, (intptr_t)len};
    return semihost_call(SH_SYS_WRITE, args) != 0;
}

int main(void) {
    in_handle = sh_open("bnn_in.bin", 1);   /* "rb" */
    out_handle = sh_open("bnn_out.bin", 5); /* "wb" */
    if (in_handle < 0 || out_handle < 0) return 1;
    int rc = bnn_harness_run();
    semihost_call(SH_SYS_CLOSE, &out_handle);
    semihost_call(SH_SYS_CLOSE, &in_handle);
    return rc;
}
