/**
 * Simulated BNN classifier device: the firmware's classifier service core and a shipped model
 * (firmware-codegen/c/service/bnn_service.c + generated/<model>/bnn_model.c, compiled to the
 * committed WebAssembly file, lib/targets/wasm-abi.ts) served as a Jacdac device, so
 * the DeviceScript program's native path runs the same C in the simulator as on a board.
 *
 *   node --import tsx devices/classifier.ts --url ws://127.0.0.1:<port> [--model default]
 *
 * Prints "classifier ready <model id32>" once connected. Like the firmware's jacdac-c adapter, it
 * shows the C every report of another device on the bus (the camera's frame chunks after a
 * watch_frame command).
 */
import { existsSync } from "node:fs";
import { JDServiceServer, Packet, PACKET_PROCESS, type JDBus } from "jacdac-ts";
import { committedWasmPath, loadCommittedWasm, serviceCommand, serviceObserve, serviceRegister, type WasmBnn } from "../lib/targets/wasm-abi.ts";
import { UserError } from "../lib/errors.ts";
import { CLASSIFIER } from "../lib/services.ts";
import { isMain, runDevice } from "./device.ts";

export class ClassifierServer extends JDServiceServer {
  constructor(private readonly wasm: WasmBnn) {
    super(CLASSIFIER.serviceClass);
  }

  override async handlePacket(pkt: Packet): Promise<void> {
    if (CLASSIFIER.commands.includes(pkt.serviceCommand) && !pkt.isRegisterGet) {
      // classify, load, classify_strokes, classify_frame: the firmware's C decides
      const report = serviceCommand(this.wasm, pkt.serviceCommand, pkt.data.subarray(0, 236));
      if (report) await this.sendPacketAsync(Packet.from(pkt.serviceCommand, report));
      return;
    }
    if (pkt.isRegisterGet) {
      const value = serviceRegister(this.wasm, pkt.registerIdentifier);
      if (value) {
        await this.sendPacketAsync(Packet.from(pkt.serviceCommand, value));
        return;
      }
    }
    await super.handlePacket(pkt);
  }
}

/** Every report another device sends goes past the service core (c/service/jd_bnn_classifier.c does the same). */
export function observeBus(bus: JDBus, wasm: WasmBnn): void {
  bus.on(PACKET_PROCESS, (pkt: Packet) => {
    if (!pkt.isReport) return;
    serviceObserve(wasm, pkt.serviceClass, pkt.serviceCommand, pkt.data);
  });
}

let wasm: WasmBnn | undefined;

if (isMain(import.meta.url))
  void runDevice({
    name: "classifier",
    summary: "the firmware's classifier service and a shipped model (WebAssembly) as a Jacdac device",
    options: { model: { type: "string", description: "shipped model whose committed WebAssembly build to serve", default: "default", metavar: "name" } },
    async create(o) {
      if (!/^[a-z][a-z0-9-]*$/.test(o.model) || !existsSync(committedWasmPath(o.model)))
        throw new UserError(`no WebAssembly build for model '${o.model}' (${committedWasmPath(o.model)}): run bnn regen`);
      wasm = await loadCommittedWasm(o.model);
      return { template: "bnn-classifier", description: `BNN classifier (${o.model}, wasm)`, servers: [new ClassifierServer(wasm)] };
    },
    async connected(bus) {
      observeBus(bus, wasm!);
      const id = serviceRegister(wasm!, CLASSIFIER.regModelId);
      console.log(`classifier ready ${id ? Buffer.from(id).readUInt32LE(0).toString(16).padStart(8, "0") : "?"}`);
    },
  });
