/*
 * Semihosting (ARM and RISC-V conventions, as QEMU implements them): the emulated program
 * opens, reads and writes files of the host and exits with a status. On Xtensa, which has no
 * such convention, semihost_call translates the few ARM operations the harnesses use into the
 * Xtensa ISS's SIMCALL services (below), so the same harness C runs on every emulated core.
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

#if defined(__XTENSA__)
#define XT_SYS_EXIT 1
#define XT_SYS_READ 3
#define XT_SYS_WRITE 4
#define XT_SYS_OPEN 5
#define XT_SYS_CLOSE 6
#define XT_O_RDONLY 0
#define XT_O_WRONLY 1

static inline intptr_t xtensa_simcall(intptr_t n, intptr_t x, intptr_t y, intptr_t z) {
    register intptr_t a2 __asm__("a2") = n;
    register intptr_t a3 __asm__("a3") = x;
    register intptr_t a4 __asm__("a4") = y;
    register intptr_t a5 __asm__("a5") = z;
    __asm__ volatile("simcall" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
    return a2;
}
#endif

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
#elif defined(__XTENSA__)
    /* QEMU `-semihosting` on Xtensa implements the Tensilica ISS SIMCALL services: a2 = service
     * number (numbered like Linux 2.4's xtensa system calls), a3..a5 = arguments; the result
     * comes back in a2 (-1 on failure) and errno in a3. Verified under qemu-system-xtensa 7.2:
     * exit(a3 = status) ends QEMU with that status; open(a3 = path, a4 = flags, a5 = mode);
     * read/write(a3 = fd, a4 = buffer, a5 = length) return the byte count; close(a3 = fd).
     * QEMU 7.2 passes open's flags to the host's open() unchanged, while the Tensilica ISS
     * defines its own O_CREAT (0x100) and O_TRUNC (0x200): only O_RDONLY (0) and O_WRONLY (1)
     * mean the same to both, so the host creates the (empty) output file before the run. */
    intptr_t *a = (intptr_t *)arg;
    switch (op) {
    case SH_SYS_OPEN: /* {name, ARM fopen mode (1 "rb", 5 "wb"), length} */
        return xtensa_simcall(XT_SYS_OPEN, a[0], a[1] >= 4 ? XT_O_WRONLY : XT_O_RDONLY, 0);
    case SH_SYS_CLOSE: /* {handle} */
        return xtensa_simcall(XT_SYS_CLOSE, a[0], 0, 0);
    case SH_SYS_READ:  /* {handle, buffer, length}: ARM returns the bytes NOT read */
    case SH_SYS_WRITE: {
        intptr_t n = xtensa_simcall(op == SH_SYS_READ ? XT_SYS_READ : XT_SYS_WRITE, a[0], a[1], a[2]);
        return n < 0 ? a[2] : a[2] - n;
    }
    case SH_SYS_EXIT: /* the argument is the ARM stop reason */
        return xtensa_simcall(XT_SYS_EXIT, (intptr_t)arg == SH_ADP_STOPPED_APPLICATION_EXIT ? 0 : 1, 0, 0);
    default:
        return -1;
    }
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
