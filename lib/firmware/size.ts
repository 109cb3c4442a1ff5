/**
 * Flash and RAM of a linked firmware, from its ELF with binutils' `size` (Berkeley format):
 * flash = text + data (code, constants and the initial values of variables), RAM = data + bss
 * (static variables; the stack and heap the runtime takes on top are not in the ELF's sections).
 */
import { run } from "../run.ts";

export interface ElfSize {
  text: number;
  data: number;
  bss: number;
  flash: number;
  ram: number;
}

export async function elfSize(elf: string, toolPrefix = "arm-none-eabi-"): Promise<ElfSize> {
  const r = await run(`${toolPrefix}size`, ["-B", "-d", elf], { timeoutMs: 60_000 });
  const line = r.stdout.toString("utf8").trim().split("\n")[1] ?? "";
  const [text, data, bss] = line.trim().split(/\s+/).slice(0, 3).map(Number);
  if (![text, data, bss].every(Number.isInteger)) throw new Error(`${toolPrefix}size printed no sizes for ${elf}: ${line}`);
  return { text, data, bss, flash: text + data, ram: data + bss };
}
