/*
 * Entry of the Xtensa LX106 build (QEMU -M sim -cpu lx106): the reset vector is the first byte
 * of sysrom0, so it jumps over its literal (l32r loads literals from lower addresses), sets the
 * stack pointer a1 and calls the C start-up with the call0 ABI (the LX106 has no register
 * windows). Any exception ends the run through SIMCALL exit with status 70 + vector offset / 16
 * instead of looping in an empty vector: at reset PS.EXCM is set, so a fault lands in the
 * double-exception vector (VECBASE + 0x70).
 */
    .section .text.start, "ax"
    .global _start
_start:
    j 1f
    .literal_position
    .literal .Lstack, _estack
    .align 4
1:  l32r a1, .Lstack
    call0 bnn_reset
2:  j 2b

    .section .vectors, "ax"
    .macro fault_at offset
    .org \offset
    movi a3, 70 + \offset / 16
    movi a2, 1          /* SYS_exit */
    simcall
    .endm
    fault_at 0x10       /* debug */
    fault_at 0x20       /* NMI */
    fault_at 0x30       /* kernel exception */
    fault_at 0x50       /* user exception */
    fault_at 0x70       /* double exception */
