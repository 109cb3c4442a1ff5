// Preloaded (`node --require`) into the DeviceScript CLI when lib/devs/bundle.ts runs
// `devs bundle`, so that bundling runs offline, beside other runs, with the firmware image the
// user gave:
// - the CLI starts its devtools servers on the fixed ports 8081 (HTTP + WebSocket) and 8082 (TCP)
//   and connects its VM to ws://127.0.0.1:8081: here they listen on free ports of the system's
//   choosing and the VM connects to the one its own server got;
// - the CLI looks for the firmware in .devicescript/cache/ (downloading it when it is not there)
//   and writes the board-patched copy next to it: here reading a file of that folder reads
//   BNN_FW_IMAGE unless this run wrote that file, and writes go to the run's BNN_FW_SCRATCH.
"use strict";
const http = require("node:http");
const net = require("node:net");
const fs = require("node:fs");
const path = require("node:path");

const FIXED = [8081, 8082];
const given = {};
for (const Server of [http.Server, net.Server]) {
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (port, ...rest) {
    if (!FIXED.includes(port)) return listen.call(this, port, ...rest);
    this.once("listening", () => (given[port] = this.address().port));
    return listen.call(this, 0, ...rest);
  };
}

const WS = require("ws");
globalThis.WebSocket = class LocalWebSocket extends WS {
  constructor(url, protocols) {
    const m = /^ws:\/\/(?:127\.0\.0\.1|localhost):8081(\/.*)?$/.exec(String(url));
    super(m && given[8081] ? `ws://127.0.0.1:${given[8081]}${m[1] ?? ""}` : url, protocols);
  }
};

const image = process.env.BNN_FW_IMAGE;
const scratch = process.env.BNN_FW_SCRATCH;
if (image && scratch) {
  const cache = path.resolve(".devicescript", "cache");
  const inCache = (p) => typeof p === "string" && path.dirname(path.resolve(p)) === cache;
  const forRead = (p) => {
    if (!inCache(p)) return p;
    const own = path.join(scratch, path.basename(p));
    return fs.existsSync(own) ? own : image;
  };
  const forWrite = (p) => (inCache(p) ? path.join(scratch, path.basename(p)) : p);
  const fsp = fs.promises;
  for (const k of ["stat", "readFile"]) {
    const f = fsp[k];
    fsp[k] = (p, ...rest) => f(forRead(p), ...rest);
  }
  for (const k of ["readFileSync", "statSync"]) {
    const f = fs[k];
    fs[k] = (p, ...rest) => f(forRead(p), ...rest);
  }
  const write = fs.writeFileSync;
  fs.writeFileSync = (p, ...rest) => write(forWrite(p), ...rest);
}
