/* Entry of the rv32 build: stack pointer, then the C start-up. */
    .section .text.start
    .global _start
_start:
    la sp, _estack
    call bnn_reset
1:  j 1b
