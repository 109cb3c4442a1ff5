/* memset and memcpy for the freestanding builds (emulated cores, WebAssembly): the compiler may
 * emit calls to them for loops and struct copies, and these builds link no libc. */
#include <stddef.h>

void *memset(void *d, int c, size_t n) {
    unsigned char *p = d;
    while (n--) *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n) {
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--) *p++ = *q++;
    return d;
}
