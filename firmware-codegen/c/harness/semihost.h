/*
 * Semihosting (ARM and RISC-V conventions, as QEMU implements them): the emulated program
 * opens, reads and writes files of the host and exits with a status.
 */
#ifndef BNN_SEMIHOST_H
#define BNN_SEMIHOST_H

#include <stdint.h>

#define SH_SYS_OPEN 0x01
#define SH_SYS_CLOSE 0x02
#define SH_SYS_WRITE 0x05
#define SH_SYS_READ 0x06
#define SH_SYS_EXIT 0x18
#define SH_ADP_STOPPED_APPLICATION_EXIT 0x20026
#define SH_ADP_STOPPED_RUNTIME_ERROR 0x20023

static inline intptr_t semihost_call(intptr_t op, void *arg) {
#if defined(__arm__)
    register intptr_t r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
#elif defined(__riscv)
    register intptr_t a0 __asm__("a0") = op;
    register void *a1 __asm__("a1") = arg;
    __asm__ volatile(
        ".option push\n"
        ".option norvc\n"
        ".balign 16\n"
        "slli x0, x0, 0x1f\n"
        "ebreak\n"
        "srai x0, x0, 7\n"
        ".option pop\n"
        : "+r"(a0)
        : "r"(a1)
        : "memory");
    return a0;
#else
#error "semihosting: unsupported architecture"
#endif
}

static inline void semihost_exit(int ok) {
    /* 32-bit semihosting: the argument is the reason itself. */
    semihost_call(SH_SYS_EXIT, (void *)(intptr_t)(ok ? SH_ADP_STOPPED_APPLICATION_EXIT : SH_ADP_STOPPED_RUNTIME_ERROR));
    for (;;) {
    }
}

#endif
