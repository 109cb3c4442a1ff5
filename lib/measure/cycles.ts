/**
 * Estimated cycles from an executed-instruction trace. QEMU logs the address of every executed
 * instruction; the disassembly says what each is; a per-core timing table turns the sequence
 * into cycles. Assumes code and tables in zero-wait-state memory (SRAM, or XIP-cache hits on an
 * RP2040) and no interrupts.
 */
import { spawn } from "node:child_process";
import { run } from "../run.ts";

export interface Insn {
  mnemonic: string;
  size: number;
  /** Registers in a register list (push/pop/ldm/stm). */
  listLength: number;
}

/** Parses `objdump -d` output into address -> instruction. */
export async function disassemble(objdump: string, elf: string): Promise<Map<number, Insn>> {
  const [text, raw] = (await Promise.all([run(objdump, ["-d", "--no-show-raw-insn", elf]), run(objdump, ["-d", elf])])).map((r) => r.stdout.toString("utf8"));
  const sizes = new Map<number, number>();
  for (const line of raw.split("\n")) {
    const m = /^\s*([0-9a-f]+):\s+((?:[0-9a-f]{2,8}\s)+)/.exec(line);
    if (m)
      sizes.set(
        parseInt(m[1], 16),
        m[2]
          .trim()
          .split(/\s+/)
          .reduce((s, h) => s + h.length / 2, 0),
      );
  }
  const map = new Map<number, Insn>();
  for (const line of text.split("\n")) {
    const m = /^\s*([0-9a-f]+):\s+([a-z][\w.]*)\s*(.*)$/.exec(line);
    if (!m) continue;
    const addr = parseInt(m[1], 16);
    const list = /\{([^}]*)\}/.exec(m[3]);
    map.set(addr, { mnemonic: m[2], size: sizes.get(addr) ?? 2, listLength: list ? list[1].split(",").length : 0 });
  }
  return map;
}

/**
 * Cortex-M0+ (ARMv6-M) cycles, from the Cortex-M0+ Technical Reference Manual's instruction
 * timings: data processing 1; MULS 1 (the RP2040 has the single-cycle multiplier); LDR/STR
 * family 2; LDM/STM/PUSH 1+N; POP 1+N, 3+N with PC; B taken 2, not taken 1; BL 3; BX/BLX 2.
 */
export function m0plusCycles(i: Insn, taken: boolean): number {
  const m = i.mnemonic.replace(/\.n$|\.w$/, "");
  if (/^(ldr|str)/.test(m)) return 2;
  if (/^(ldm|stm|push)/.test(m)) return 1 + i.listLength;
  if (m === "pop") return 1 + i.listLength + (taken ? 2 : 0);
  if (m === "bl") return 3;
  if (m === "bx" || m === "blx") return 2;
  if (/^b(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?$/.test(m)) return taken ? 2 : 1;
  return 1;
}

/**
 * A simple in-order RV32 estimate (ESP32-C3-like): 1 cycle per instruction, +1 for a taken
 * branch or a jump, +1 for a load (a load-use stall assumed every time).
 */
export function rv32Cycles(i: Insn, taken: boolean): number {
  const m = i.mnemonic.replace(/^c\./, "");
  if (/^(lw|lh|lhu|lb|lbu|lwsp)$/.test(m)) return 2;
  if (/^(j|jal|jr|jalr|ret)$/.test(m)) return 2;
  if (/^b(eq|ne|lt|ge|ltu|geu|eqz|nez|gez|ltz|gtz|lez|gt|le|gtu|leu)$/.test(m)) return taken ? 2 : 1;
  return 1;
}

/**
 * A simple in-order estimate for the Xtensa LX106 (ESP8266) and, as a guide only, the ESP32's
 * LX6: both are 5-stage pipelines, and neither Espressif nor Cadence publishes per-instruction
 * timings of these configurations, so this is a stated rule, not a datasheet figure:
 * 1 cycle per instruction; +1 per load (l32i, l32r, l16ui, l16si, l8ui: a load-use stall
 * assumed every time); +2 for a taken branch, a jump, a call or a return (the fetch bubble
 * of a branch resolved in the execute stage); MULL 1 like any other instruction (the MUL32
 * option's latency is a configuration choice). Code and data assumed in zero-wait-state memory
 * (IRAM / DRAM; no flash-cache misses).
 */
export function xtensaCycles(i: Insn, taken: boolean): number {
  const m = i.mnemonic.replace(/\.n$/, "");
  if (/^(l32i|l32r|l16ui|l16si|l8ui)$/.test(m)) return 2;
  if (/^(j|jx|call0|callx0|ret)$/.test(m)) return 3;
  if (/^b(eq|ne|ge|lt|geu|ltu|any|none|all|nall|bc|bs|bci|bsi)(z|i|ui)?$/.test(m)) return taken ? 3 : 1;
  return 1;
}

/**
 * QEMU's arguments for a trace of `elf`: one instruction per translation block (-singlestep), the
 * address of each executed block on stderr (-d exec,nochain), semihosting for the harness's I/O,
 * no display, monitor or serial port. traceCost here and icount.ts's counts read that log.
 */
export function traceArgs(qemuArgs: string[], elf: string): string[] {
  return [
    ...qemuArgs,
    "-nographic",
    "-monitor",
    "none",
    "-serial",
    "none",
    "-semihosting-config",
    "enable=on,target=native",
    "-singlestep",
    "-d",
    "exec,nochain",
    "-kernel",
    elf,
  ];
}

export interface TraceCost {
  instructions: number;
  cycles: number;
}

/** Runs QEMU on `elf` (one instruction per block, exec log) and sums instructions and cycles. */
export function traceCost(
  qemu: string,
  qemuArgs: string[],
  elf: string,
  cwd: string,
  insns: Map<number, Insn>,
  cost: (i: Insn, taken: boolean) => number,
): Promise<TraceCost> {
  return new Promise((resolve, reject) => {
    const child = spawn(qemu, traceArgs(qemuArgs, elf), { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let instructions = 0;
    let cycles = 0;
    let prev: { pc: number; insn: Insn | undefined } | undefined;
    let tail = "";
    const re = /Trace [^[]*\[[0-9a-f]+\/([0-9a-f]+)\//g;
    child.stderr.setEncoding("latin1");
    child.stderr.on("data", (chunk: string) => {
      const text = tail + chunk;
      const lastNl = text.lastIndexOf("\n");
      const complete = text.slice(0, lastNl + 1);
      tail = text.slice(lastNl + 1);
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(complete))) {
        const pc = parseInt(m[1], 16);
        if (prev?.insn) cycles += cost(prev.insn, pc !== prev.pc + prev.insn.size);
        else if (prev) cycles += 1;
        instructions++;
        prev = { pc, insn: insns.get(pc) };
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (prev) cycles += prev.insn ? cost(prev.insn, true) : 1;
      if (code === 0) resolve({ instructions, cycles });
      else reject(new Error(`${qemu} exited with ${code}`));
    });
  });
}
