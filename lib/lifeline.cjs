// Preloaded (`node --require`) into every Node process `bnn sim` and the tests start: the process
// exits as soon as its parent is gone, so a `bnn sim` killed with SIGKILL (no chance to clean up)
// takes its hub clients, simulated devices and DeviceScript VM with it. Linux reparents an
// orphan to init or a subreaper, so a changed parent PID means the parent died.
"use strict";
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid !== parent) process.exit(129);
}, 250);
timer.unref();
