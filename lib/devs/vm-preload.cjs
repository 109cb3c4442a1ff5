// Preloaded (`node --require`) into the DeviceScript CLI when lib/devs/cli.ts starts
// `devs run` for a simulator, so that runs on one machine do not meet:
// - BNN_HUB_URL: the CLI connects its VM to a fixed ws://127.0.0.1:8081; this points that
//   connection at the hub of this run (the CLI only installs a WebSocket when none is defined).
// - BNN_VM_FLASH: the VM keeps its "flash" in .devicescript/flash/sim.bin of the project, one
//   file for every VM on the machine; this gives each run a file of its own.
"use strict";
const path = require("node:path");
const fs = require("node:fs");

const hub = process.env.BNN_HUB_URL;
if (hub && typeof globalThis.WebSocket === "undefined") {
  const WS = require("ws");
  const FIXED = /^ws:\/\/(127\.0\.0\.1|localhost):8081\/?$/;
  globalThis.WebSocket = class RedirectedWebSocket extends WS {
    constructor(url, protocols) {
      super(FIXED.test(String(url)) ? hub : url, protocols);
    }
  };
}

const flash = process.env.BNN_VM_FLASH;
if (flash) {
  const shared = path.resolve(".devicescript", "flash", "sim.bin");
  const redirect = (p) => (typeof p === "string" && path.resolve(p) === shared ? flash : p);
  const { readFileSync, writeFileSync } = fs;
  fs.readFileSync = (p, ...rest) => readFileSync(redirect(p), ...rest);
  fs.writeFileSync = (p, ...rest) => writeFileSync(redirect(p), ...rest);
}
