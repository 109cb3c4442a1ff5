/**
 * The RP2040 in this process: rp2040js (an instruction-level emulator of the RP2040 with a cycle
 * counter, an npm devDependency) runs a bare-metal ELF built for the Cortex-M0+
 * (arm-none-eabi-gcc -mcpu=cortex-m0plus -mthumb, linked by c/harness/rp2040.ld: code and tables
 * in XIP flash, data and stack in SRAM). There is no boot ROM: this module loads the ELF's
 * segments into the emulator's flash and SRAM, sets VTOR, SP and PC from the vector table, and
 * answers the harness's ARM semihosting calls (`bkpt 0xab`, c/harness/semihost.h: SYS_OPEN,
 * SYS_READ, SYS_WRITE, SYS_CLOSE, SYS_EXIT) from in-memory files, so the same harness C that
 * runs under QEMU (semihost_main.c, bench_main.c, runtime.c) runs here unchanged. One emulator
 * instance runs every record of a file: one ELF load per run, not per image.
 *
 * What the cycle counter is (rp2040js 1.4.1, CortexM0Core.executeInstruction): a per-instruction
 * table close to the Cortex-M0+ TRM (1 per instruction; loads and stores +1 to SRAM, flash and
 * the boot ROM, +2/+3 to APB peripherals, SIO single-cycle; taken branches +1, BL +2, POP with PC
 * +2, one per register of LDM/STM/PUSH/POP, but nothing for LR in a PUSH). Not modelled:
 *   - XIP flash is as fast as SRAM: no cache misses, no QSPI fetch latency (a real RP2040 runs
 *     from its 16 KB XIP cache; a miss costs tens of cycles at 125 MHz);
 *   - no bus contention (a single core; no DMA, no second core, no SRAM bank conflicts);
 *   - instruction fetch is free: no wait states on the fetch side at all, no prefetch effects;
 *   - no interrupts (none are enabled here) and no clock setup (the count is in core cycles,
 *     turned into microseconds at an assumed 125 MHz).
 * So its cycles are those of a program already in SRAM or in the XIP cache: the same assumption
 * as the TRM-priced QEMU estimate (cycles.ts), from an independent implementation.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { RP2040 } from "rp2040js";
import { UserError } from "../errors.ts";

const FLASH_BASE = 0x10000000;
const SRAM_BASE = 0x20000000;

const SYS_OPEN = 0x01;
const SYS_CLOSE = 0x02;
const SYS_WRITE = 0x05;
const SYS_READ = 0x06;
const SYS_EXIT = 0x18;
const ADP_STOPPED_APPLICATION_EXIT = 0x20026;

type Rp2040Module = typeof import("rp2040js");

let loaded: Rp2040Module | undefined;

/** rp2040js through require(): loaded on first use, so the rest of the tool runs without it. */
function rp2040js(): Rp2040Module {
  const missing = loaded ? undefined : rp2040jsMissing();
  if (missing) throw new UserError(`${missing}; \`bnn report\` and the rp2040js backends need it`);
  loaded ??= createRequire(import.meta.url)("rp2040js") as Rp2040Module;
  return loaded;
}

/** Why rp2040js cannot be used here, or undefined when it can. */
export function rp2040jsMissing(): string | undefined {
  try {
    createRequire(import.meta.url).resolve("rp2040js");
    return undefined;
  } catch {
    return "rp2040js not found (npm ci installs it: a devDependency of this project)";
  }
}

/** The version of rp2040js in use (for reports). */
export function rp2040jsVersion(): string {
  // the package's exports hide its package.json: walk up from its entry point
  for (let dir = dirname(createRequire(import.meta.url).resolve("rp2040js")); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "rp2040js" && pkg.version) return pkg.version;
  }
  return "(unknown version)";
}

export interface Rp2040Counters {
  cycles: number;
  instructions: number;
}

export interface Rp2040Result {
  /** SYS_EXIT with ADP_Stopped_ApplicationExit (main returned 0). */
  exitOk: boolean;
  /** Files the program opened for writing, with what it wrote. */
  written: Map<string, Buffer>;
  /** Totals at exit. */
  cycles: number;
  instructions: number;
  /** Counters at every SYS_READ call: a bench loop reads one record per inference. */
  reads: Rp2040Counters[];
}

export interface Rp2040Options {
  /** Stop with an error after this many instructions (a program that never exits). */
  maxInstructions?: number;
  /** Called before each instruction with its address (slow; for tracing). */
  onInstruction?: (pc: number) => void;
  /** Called at every SYS_READ, when `reads` gets its entry. */
  onRead?: () => void;
}

/** Copies the PT_LOAD segments of a little-endian ELF32 to their load addresses. */
function loadElf(mcu: RP2040, elf: Buffer): void {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 1 || elf[5] !== 1) throw new Error("rp2040: not a little-endian ELF32 file");
  const phoff = elf.readUInt32LE(0x1c);
  const phentsize = elf.readUInt16LE(0x2a);
  const phnum = elf.readUInt16LE(0x2c);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (elf.readUInt32LE(ph) !== 1) continue; // PT_LOAD
    const offset = elf.readUInt32LE(ph + 4);
    const paddr = elf.readUInt32LE(ph + 12);
    const filesz = elf.readUInt32LE(ph + 16);
    if (filesz === 0) continue;
    const target = region(mcu, paddr, filesz);
    if (!target) throw new Error(`rp2040: segment at 0x${paddr.toString(16)} (${filesz} bytes) is outside flash and SRAM`);
    target.set(elf.subarray(offset, offset + filesz));
  }
}

/** The emulator's bytes at address .. address + length - 1 when they lie in flash or in SRAM (a view), else undefined. */
function region(mcu: RP2040, address: number, length: number): Uint8Array | undefined {
  if (address >= SRAM_BASE && address + length <= SRAM_BASE + mcu.sram.length) return mcu.sram.subarray(address - SRAM_BASE, address - SRAM_BASE + length);
  if (address >= FLASH_BASE && address + length <= FLASH_BASE + mcu.flash.length)
    return mcu.flash.subarray(address - FLASH_BASE, address - FLASH_BASE + length);
  return undefined;
}

function memory(mcu: RP2040, address: number, length: number): Uint8Array {
  const m = region(mcu, address, length);
  if (!m) throw new Error(`rp2040: semihosting buffer 0x${address.toString(16)}+${length} is outside flash and SRAM`);
  return m;
}

function cString(mcu: RP2040, address: number): string {
  let s = "";
  for (let i = 0; i < 256; i++) {
    const c = mcu.readUint8(address + i);
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  throw new Error("rp2040: semihosting file name without an end");
}

/**
 * Runs the program until it exits through semihosting. `files` are what it may open for
 * reading (by name); what it writes comes back in `written`.
 */
export function runRp2040(elf: Buffer, files: Record<string, Buffer>, opts: Rp2040Options = {}): Rp2040Result {
  const { RP2040 } = rp2040js();
  const mcu = new RP2040();
  const problems: string[] = [];
  loadElf(mcu, elf);
  const core = mcu.core;
  core.VTOR = FLASH_BASE;
  core.SP = mcu.readUint32(FLASH_BASE);
  core.PC = mcu.readUint32(FLASH_BASE + 4) & ~1;

  interface Handle {
    name: string;
    data?: Buffer;
    position: number;
    chunks?: Buffer[];
  }
  const handles = new Map<number, Handle>();
  const written = new Map<string, Buffer>();
  const reads: Rp2040Counters[] = [];
  let nextHandle = 1;
  let instructions = 0;
  let exit: boolean | undefined;
  let breakError: string | undefined;

  const semihost = (op: number, args: number): number => {
    const arg = (k: number) => mcu.readUint32(args + 4 * k);
    switch (op) {
      case SYS_OPEN: {
        const name = cString(mcu, arg(0));
        const writing = arg(1) >= 4;
        if (!writing && !(name in files)) return -1;
        handles.set(nextHandle, writing ? { name, position: 0, chunks: [] } : { name, position: 0, data: files[name] });
        return nextHandle++;
      }
      case SYS_READ: {
        reads.push({ cycles: core.cycles, instructions });
        opts.onRead?.();
        const h = handles.get(arg(0));
        const length = arg(2);
        if (!h?.data) return -1;
        const n = Math.min(length, h.data.length - h.position);
        memory(mcu, arg(1), n).set(h.data.subarray(h.position, h.position + n));
        h.position += n;
        return length - n;
      }
      case SYS_WRITE: {
        const h = handles.get(arg(0));
        if (!h?.chunks) return arg(2);
        h.chunks.push(Buffer.from(memory(mcu, arg(1), arg(2))));
        return 0;
      }
      case SYS_CLOSE: {
        const h = handles.get(arg(0));
        if (!h) return -1;
        if (h.chunks) written.set(h.name, Buffer.concat(h.chunks));
        handles.delete(arg(0));
        return 0;
      }
      case SYS_EXIT:
        exit = args === ADP_STOPPED_APPLICATION_EXIT;
        return 0;
      default:
        breakError = `unsupported semihosting call 0x${op.toString(16)}`;
        return -1;
    }
  };
  // The hot loop only executes and counts; a breakpoint or a logged problem stops it, and the
  // semihosting call is answered between two instructions (r0/r1 still hold the request).
  let running = true;
  let breakCode = -1;
  mcu.onBreak = (code: number) => {
    breakCode = code;
    running = false;
  };
  mcu.logger = {
    debug() {},
    info() {},
    warn: (c, m) => (problems.push(`${c}: ${m}`), (running = false)),
    error: (c, m) => (problems.push(`${c}: ${m}`), (running = false)),
  };

  const max = opts.maxInstructions ?? 2e10;
  const trace = opts.onInstruction;
  while (exit === undefined && breakError === undefined && problems.length === 0) {
    running = true;
    breakCode = -1;
    let n = instructions;
    if (trace) {
      while (running && n < max) {
        trace(core.PC);
        core.executeInstruction();
        n++;
      }
    } else {
      while (running && n < max) {
        core.executeInstruction();
        n++;
      }
    }
    instructions = n;
    if (n >= max && running) throw new Error(`rp2040: no exit after ${max} instructions`);
    if (breakCode === 0xab) core.registers[0] = semihost(core.registers[0], core.registers[1]) >>> 0;
    else if (breakCode >= 0) breakError = `bkpt 0x${breakCode.toString(16)} at 0x${((core.PC - 2) >>> 0).toString(16)}`;
  }
  if (breakError ?? problems.length) throw new Error(`rp2040: ${breakError ?? problems.slice(0, 3).join("; ")} (after ${instructions} instructions)`);
  for (const h of handles.values()) if (h.chunks) written.set(h.name, Buffer.concat(h.chunks));
  return { exitOk: exit === true, written, cycles: core.cycles, instructions, reads };
}
