/**
 * UF2 files (Microsoft's USB flashing format, what an RP2040 in BOOTSEL mode takes): 512-byte
 * blocks, each carrying up to 476 bytes for a flash address. Read into the bytes at each
 * address, and written from such a map — what the tests check a bundled image with, and what
 * the size report reads.
 */
const MAGIC_START0 = 0x0a324655;
const MAGIC_START1 = 0x9e5d5157;
const MAGIC_END = 0x0ab16f30;
const FLAG_FAMILY = 0x2000;
export const RP2040_FAMILY = 0xe48bff56;

export interface Uf2Block {
  address: number;
  data: Uint8Array;
  family?: number;
}

export function isUf2(bytes: Uint8Array): boolean {
  if (bytes.length < 512 || bytes.length % 512) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return v.getUint32(0, true) === MAGIC_START0 && v.getUint32(4, true) === MAGIC_START1 && v.getUint32(508, true) === MAGIC_END;
}

/** The blocks of a UF2 file; throws on a block that is not one. */
export function readUf2(bytes: Uint8Array): Uf2Block[] {
  if (!isUf2(bytes)) throw new Error("not a UF2 file");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks: Uf2Block[] = [];
  for (let off = 0; off < bytes.length; off += 512) {
    if (v.getUint32(off, true) !== MAGIC_START0 || v.getUint32(off + 4, true) !== MAGIC_START1 || v.getUint32(off + 508, true) !== MAGIC_END)
      throw new Error(`UF2 block ${off / 512} is damaged`);
    const flags = v.getUint32(off + 8, true);
    const size = v.getUint32(off + 16, true);
    if (size > 476) throw new Error(`UF2 block ${off / 512} claims ${size} bytes`);
    blocks.push({
      address: v.getUint32(off + 12, true),
      data: bytes.slice(off + 32, off + 32 + size),
      family: flags & FLAG_FAMILY ? v.getUint32(off + 28, true) : undefined,
    });
  }
  return blocks;
}

/** The bytes at [address, address + length) of the blocks (undefined where no block writes). */
export function uf2Bytes(blocks: Uf2Block[], address: number, length: number): (number | undefined)[] {
  const out: (number | undefined)[] = new Array(length).fill(undefined);
  for (const b of blocks) {
    for (let i = 0; i < b.data.length; i++) {
      const a = b.address + i - address;
      if (a >= 0 && a < length) out[a] = b.data[i];
    }
  }
  return out;
}

/** A UF2 file of `data` at `address`, 256 bytes a block (as the RP2040 boot ROM writes pages). */
export function writeUf2(address: number, data: Uint8Array, family = RP2040_FAMILY): Uint8Array {
  const n = Math.ceil(data.length / 256);
  const out = new Uint8Array(n * 512);
  const v = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const off = i * 512;
    v.setUint32(off, MAGIC_START0, true);
    v.setUint32(off + 4, MAGIC_START1, true);
    v.setUint32(off + 8, FLAG_FAMILY, true);
    v.setUint32(off + 12, address + i * 256, true);
    v.setUint32(off + 16, 256, true);
    v.setUint32(off + 20, i, true);
    v.setUint32(off + 24, n, true);
    v.setUint32(off + 28, family, true);
    out.set(data.subarray(i * 256, i * 256 + 256), off + 32);
    v.setUint32(off + 508, MAGIC_END, true);
  }
  return out;
}
