/*
 * The verification harness: reads input records (BNN_INPUT_WORDS little-endian u32 words each)
 * and writes, per record, the BNN_OUTPUTS int32 scores followed by the packed outputs of every
 * hidden layer, so a difference can be traced to its layer and neuron. Each target supplies
 * bnn_io_read / bnn_io_write (stdio on a host, semihosting on an emulated core).
 */
#ifndef BNN_HARNESS_H
#define BNN_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* Reads up to len bytes; returns the number read (0 at the end). */
size_t bnn_io_read(void *buf, size_t len);
/* Writes len bytes; returns 0 on success. */
int bnn_io_write(const void *buf, size_t len);

/* Runs the classify loop until the input ends; returns 0, or 1 on an I/O error. */
int bnn_harness_run(void);

#endif
