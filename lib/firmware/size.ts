/**
 * Flash and RAM of a linked firmware, from its ELF's loadable segments (the program headers):
 * flash is every byte the image stores (each segment's file size: code, constants, the initial
 * values of variables, code copied to RAM at start-up); static RAM is the memory size of every
 * segment that is copied to RAM at start-up (run address ≠ load address: .data, and pico-sdk's
 * code that runs from RAM) or zeroed there (memory size > file size: .bss). Segment flags do not
 * tell: the RP2040's flash segment is flagged writable, its RAM code not. binutils' Berkeley
 * `size` gets the RP2040 wrong (it counts .data as text: 19,112 B of RAM where .data + .bss are
 * 26,680 B). Read in Node, so no binutils of the target is needed. The stack and heap the
 * runtime reserves (pico-sdk: 2 KB each, not loaded) are not counted.
 */
import { readFile } from "node:fs/promises";

export interface ElfSize {
  flash: number;
  ram: number;
}

const PT_LOAD = 1;

export interface Segment {
  vaddr: number;
  paddr: number;
  fileSize: number;
  memSize: number;
}

/** The loadable segments of a 32-bit little-endian ELF file. */
export function loadSegments(elf: Uint8Array, name = "the ELF file"): Segment[] {
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 52 || v.getUint32(0) !== 0x7f454c46) throw new Error(`${name} is not an ELF file`);
  if (elf[4] !== 1 || elf[5] !== 1) throw new Error(`${name} is not a 32-bit little-endian ELF file`);
  const phoff = v.getUint32(28, true);
  const phentsize = v.getUint16(42, true);
  const phnum = v.getUint16(44, true);
  if (phoff + phnum * phentsize > elf.length) throw new Error(`${name} is cut short`);
  const out: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (v.getUint32(o, true) !== PT_LOAD) continue;
    out.push({ vaddr: v.getUint32(o + 8, true), paddr: v.getUint32(o + 12, true), fileSize: v.getUint32(o + 16, true), memSize: v.getUint32(o + 20, true) });
  }
  return out;
}

export function segmentSize(segments: Segment[]): ElfSize {
  let flash = 0;
  let ram = 0;
  for (const s of segments) {
    flash += s.fileSize;
    if (s.vaddr !== s.paddr || s.memSize > s.fileSize) ram += s.memSize;
  }
  return { flash, ram };
}

export async function elfSize(path: string): Promise<ElfSize> {
  return segmentSize(loadSegments(await readFile(path), path));
}
