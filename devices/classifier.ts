/**
 * Simulated BNN classifier device: the firmware's classifier service core and the generated model
 * (firmware-codegen/c/service/bnn_service.c + generated/<model>/bnn_model.c, compiled to the
 * committed WebAssembly file) served as a Jacdac device on the DeviceScript devtools hub, so the
 * DeviceScript program's native path runs the same code in the simulator as on a board.
 *
 *   node --import tsx devices/classifier.ts [--model default] [--url ws://127.0.0.1:8081]
 *
 * Prints "classifier ready <model id>" once connected.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { JDServiceServer, Packet } from "jacdac-ts";
import { instantiateWasm, type WasmBnn } from "../firmware-codegen/src/targets.ts";
import { GENERATED_C_DIR } from "../host/lib/paths.ts";
import { customSpec, joinHub } from "./hub.ts";

const CMD_CLASSIFY = 0x80;

export class ClassifierServer extends JDServiceServer {
  constructor(
    serviceClass: number,
    private readonly wasm: WasmBnn,
  ) {
    super(serviceClass);
  }

  override async handlePacket(pkt: Packet): Promise<void> {
    const mem = () => new Uint8Array(this.wasm.memory.buffer);
    if (pkt.serviceCommand === CMD_CLASSIFY && !pkt.isRegisterGet) {
      const data = pkt.data.subarray(0, 236);
      mem().set(data, this.wasm.bnn_wasm_packet_ptr());
      const n = this.wasm.bnn_wasm_service_classify(data.length);
      if (n > 0) {
        const at = this.wasm.bnn_wasm_report_ptr();
        await this.sendPacketAsync(Packet.from(CMD_CLASSIFY, mem().slice(at, at + n)));
      }
      return;
    }
    if (pkt.isRegisterGet) {
      const n = this.wasm.bnn_wasm_service_register(pkt.registerIdentifier);
      if (n > 0) {
        const at = this.wasm.bnn_wasm_report_ptr();
        await this.sendPacketAsync(Packet.from(pkt.serviceCommand, mem().slice(at, at + n)));
        return;
      }
    }
    await super.handlePacket(pkt);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: "string", default: "default" }, url: { type: "string", default: "ws://127.0.0.1:8081" } } });
  const model = values.model!;
  const wasmPath = join(GENERATED_C_DIR, model, "bnn_model.wasm");
  if (!existsSync(wasmPath)) throw new Error(`no WebAssembly build for model '${model}' (${wasmPath}): run bnn codegen --model ${model}`);
  const { spec, specs } = customSpec("bnnclassifier");
  const wasm = await instantiateWasm(readFileSync(wasmPath));
  await joinHub(values.url!, specs, "bnn-classifier", [new ClassifierServer(spec.classIdentifier, wasm)], `BNN classifier (${model}, wasm)`);
  const n = wasm.bnn_wasm_service_register(0x180);
  const id = new DataView(wasm.memory.buffer, wasm.bnn_wasm_report_ptr(), Math.max(n, 4)).getUint32(0, true);
  console.log(`classifier ready ${id.toString(16).padStart(8, "0")}`);
}

main().catch((e) => {
  console.error(`classifier: ${(e as Error).message}`);
  process.exit(1);
});
