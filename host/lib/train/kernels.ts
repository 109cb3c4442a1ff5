/**
 * Loads the WebAssembly SIMD training kernels (kernels.wat, assembled by wabt at start-up, so
 * no binary is committed) into a memory arena that holds every array they touch.
 */
import { readFileSync } from "node:fs";
import wabtInit from "wabt";

export interface Kernels {
  sum_rows(src: number, rows: number, from: number, to: number, width: number, dst: number, sub: number): void;
  input_grad(gS: number, Wb: number, pa: number, pg: number, count: number, nIn: number, nOut: number): void;
  binarize(W: number, Wb: number, colsum: number, nIn: number, nOut: number): void;
  adam(p: number, g: number, m: number, v: number, n: number, step: number, b1: number, b2: number, eps: number, clip: number): void;
}

let compiled: WebAssembly.Module | undefined;

async function compile(): Promise<WebAssembly.Module> {
  if (compiled) return compiled;
  const wabt = await wabtInit();
  const source = readFileSync(new URL("./kernels.wat", import.meta.url), "utf8");
  const parsed = wabt.parseWat("kernels.wat", source, { simd: true });
  try {
    const { buffer } = (parsed.validate(), parsed.toBinary({}));
    compiled = new WebAssembly.Module(buffer);
  } finally {
    parsed.destroy();
  }
  return compiled;
}

/** Typed arrays carved out of one WebAssembly memory, sized once (views never move). */
export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
  private top = 16; // keep address 0 unused
  private constructor(memory: WebAssembly.Memory, kernels: Kernels) {
    this.memory = memory;
    this.kernels = kernels;
  }

  static async create(bytes: number): Promise<Arena> {
    const module = await compile();
    const pages = Math.ceil((bytes + 1024) / 65536);
    const memory = new WebAssembly.Memory({ initial: pages });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return new Arena(memory, instance.exports as unknown as Kernels);
  }

  f32(n: number): Float32Array {
    return new Float32Array(this.memory.buffer, this.take(n * 4), n);
  }

  i32(n: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.take(n * 4), n);
  }

  private take(bytes: number): number {
    const at = this.top;
    this.top += (bytes + 15) & ~15;
    if (this.top > this.memory.buffer.byteLength) throw new Error(`arena overflow: ${this.top} > ${this.memory.buffer.byteLength}`);
    return at;
  }
}
