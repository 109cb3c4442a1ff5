/*
 * The freestanding start-up of the emulated cores: clears .bss (copies .data on Cortex-M),
 * runs main, reports the exit through semihosting (memset/memcpy: libc_min.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "semihost.h"

int main(void);


extern uint32_t _sbss[], _ebss[];
#if defined(__arm__)
extern uint32_t _sdata[], _edata[], _sidata[], _estack[];
#endif

void bnn_reset(void) {
#if defined(__arm__)
    for (uint32_t *d = _sdata, *s = _sidata; d < _edata;) *d++ = *s++;
#endif
    for (uint32_t *d = _sbss; d < _ebss;) *d++ = 0;
    semihost_exit(main() == 0);
}

#if defined(__arm__)
static void bnn_fault(void) { semihost_exit(0); }

__attribute__((section(".vectors"), used)) static const uintptr_t vectors[] = {
    (uintptr_t)_estack, (uintptr_t)bnn_reset, (uintptr_t)bnn_fault /* NMI */, (uintptr_t)bnn_fault /* HardFault */,
};
#endif
