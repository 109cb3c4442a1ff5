// One place for how long-running bytecode gives the CPU back.
import * as ds from "@devicescript/core";

/**
 * Yields to the scheduler and to the firmware's main loop. `ds.sleep(0)` would leave this fiber
 * runnable at once, so the VM keeps the CPU: on devicescript-pico the main loop, which alone moves
 * DMESG (the result lines) out of the UART, then does not run for a whole bytecode inference and
 * lines are overwritten in the DMESG ring (emulated RP2040: 14 of 40 result lines arrived). One
 * millisecond lets it run: with it every line left the UART as it was written.
 */
export async function yieldToFirmware() {
  await ds.sleep(1);
}
