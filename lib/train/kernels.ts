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
export class Arena<K = Kernels> {
  readonly memory: WebAssembly.Memory;
  readonly kernels: K;
  private top: number;
  private constructor(memory: WebAssembly.Memory, kernels: K, start: number) {
    this.memory = memory;
    this.kernels = kernels;
    this.top = start;
  }

  /** An arena for the dense-layer kernels of kernels.wat. */
  static async create(bytes: number): Promise<Arena> {
    return Arena.forModule<Kernels>(await compile(), bytes);
  }

  /**
   * An arena for any module that imports env.memory; allocation starts above the module's own
   * data and stack (its __heap_base, when it exports one) and never at address 0.
   */
  static forModule<T>(module: WebAssembly.Module, bytes: number): Arena<T> {
    const reserve = 1 << 20;
    const pages = Math.ceil((bytes + reserve) / 65536);
    const memory = new WebAssembly.Memory({ initial: pages });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const heapBase = instance.exports.__heap_base as WebAssembly.Global | undefined;
    const start = heapBase ? ((heapBase.value as number) + 15) & ~15 : 16;
    if (start > reserve) throw new Error(`module data and stack (${start} bytes) exceed the arena's reserve`);
    return new Arena<T>(memory, instance.exports as unknown as T, start);
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
