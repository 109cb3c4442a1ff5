/**
 * Image files -> 8-bit grayscale, for `bnn classify --image`: PNG (8-bit grayscale, grayscale +
 * alpha, RGB, RGBA or palette; not interlaced) and binary PGM (P5, maxval 1..65535). Hand-written
 * on node:zlib, no dependency. The kind is told by the file's first bytes, not its name.
 *
 * Gray of a colour pixel: (299 R + 587 G + 114 B) / 1000, rounded (ITU-R BT.601 luma). A pixel
 * with alpha is composed over white (a drawing exported with a transparent background keeps its
 * dark ink on light paper). Every defect is a one-line UserError naming the file.
 */
import { inflateSync } from "node:zlib";
import { UserError } from "../errors.ts";

export interface GrayImage {
  width: number;
  height: number;
  /** Row-major, 0 = black, 255 = white. */
  pixels: Uint8Array;
  /** What the file was: "png" or "pgm". */
  format: "png" | "pgm";
}

/** Larger images are refused (memory): 64 megapixels. */
export const MAX_IMAGE_PIXELS = 1 << 26;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, as PNG chunks carry it) of `bytes`. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function luma(r: number, g: number, b: number): number {
  return Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);
}

/** `v` (0..255) with alpha `a` (0..255) over white. */
function overWhite(v: number, a: number): number {
  return Math.floor((v * a + 255 * (255 - a) + 127) / 255);
}

function checkSize(name: string, width: number, height: number): void {
  if (width < 1 || height < 1) throw new UserError(`${name}: the image is ${width}x${height} pixels; it needs at least one`);
  if (width * height > MAX_IMAGE_PIXELS)
    throw new UserError(`${name}: the image is ${width}x${height} pixels, more than ${MAX_IMAGE_PIXELS} (scale it down first)`);
}

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const PNG_KINDS: Record<number, string> = { 0: "grayscale", 2: "RGB", 3: "palette", 4: "grayscale + alpha", 6: "RGBA" };

function decodePng(bytes: Uint8Array, name: string): GrayImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => {
    throw new UserError(`${name}: ${why}`);
  };
  let at = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (!ended) {
    if (at + 12 > bytes.length) fail("the PNG is cut short (no IEND chunk)");
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    if (length > bytes.length - at - 12) fail(`the PNG is cut short (chunk ${JSON.stringify(type)} at byte ${at} claims ${length} bytes)`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    // bit 5 of a chunk type's first letter clear: critical, a reader must understand it
    const critical = (bytes[at + 4] & 0x20) === 0;
    if (crc32(bytes, at + 4, at + 8 + length) !== view.getUint32(at + 8 + length))
      fail(`the PNG is damaged (chunk ${JSON.stringify(type)} at byte ${at} fails its CRC)`);
    at += 12 + length;
    if (type === "IHDR") {
      if (length !== 13) fail("the PNG's IHDR chunk is not 13 bytes");
      const d = new DataView(data.buffer, data.byteOffset, 13);
      width = d.getUint32(0);
      height = d.getUint32(4);
      const depth = data[8];
      colorType = data[9];
      if (!(colorType in PNG_CHANNELS)) fail(`the PNG has colour type ${colorType}, which PNG does not define`);
      if (depth !== 8)
        fail(`the PNG has ${depth}-bit ${PNG_KINDS[colorType]} pixels; classify reads 8-bit PNGs (grayscale, grayscale + alpha, RGB, RGBA, palette)`);
      if (data[10] !== 0 || data[11] !== 0) fail("the PNG uses an unknown compression or filter method");
      if (data[12] !== 0) fail("the PNG is interlaced (Adam7); save it without interlacing");
      checkSize(name, width, height);
    } else if (colorType < 0) {
      fail("the PNG does not start with its IHDR chunk");
    } else if (type === "PLTE") palette = data;
    else if (type === "tRNS") transparency = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") ended = true;
    else if (critical) fail(`the PNG has a critical chunk ${JSON.stringify(type)} this reader does not know`);
  }
  if (idat.length === 0) fail("the PNG has no image data (IDAT)");
  if (colorType === 3 && !palette) fail("the palette PNG has no PLTE chunk");
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (e) {
    return fail(`the PNG's image data does not inflate (${(e as Error).message})`);
  }
  const channels = PNG_CHANNELS[colorType];
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) fail(`the PNG's image data is short: ${raw.length} bytes for ${height} rows of ${stride + 1}`);
  // unfilter in place, row by row (bpp = channels at 8 bits)
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const out = y * stride;
    const prev = out - stride;
    for (let x = 0; x < stride; x++) {
      const v = raw[src + x];
      const a = x >= channels ? rows[out + x - channels] : 0;
      const b = y > 0 ? rows[prev + x] : 0;
      const c = x >= channels && y > 0 ? rows[prev + x - channels] : 0;
      let p: number;
      if (filter === 0) p = 0;
      else if (filter === 1) p = a;
      else if (filter === 2) p = b;
      else if (filter === 3) p = (a + b) >> 1;
      else if (filter === 4) {
        const q = a + b - c;
        const pa = Math.abs(q - a);
        const pb = Math.abs(q - b);
        const pc = Math.abs(q - c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else return fail(`row ${y} of the PNG has filter type ${filter}, which PNG does not define`);
      rows[out + x] = (v + p) & 0xff;
    }
  }
  const pixels = new Uint8Array(width * height);
  const n = width * height;
  if (colorType === 0) {
    const key = transparency && transparency.length >= 2 ? (transparency[0] << 8) | transparency[1] : -1;
    for (let i = 0; i < n; i++) pixels[i] = rows[i] === key ? 255 : rows[i];
  } else if (colorType === 4) for (let i = 0; i < n; i++) pixels[i] = overWhite(rows[2 * i], rows[2 * i + 1]);
  else if (colorType === 2) for (let i = 0; i < n; i++) pixels[i] = luma(rows[3 * i], rows[3 * i + 1], rows[3 * i + 2]);
  else if (colorType === 6) for (let i = 0; i < n; i++) pixels[i] = overWhite(luma(rows[4 * i], rows[4 * i + 1], rows[4 * i + 2]), rows[4 * i + 3]);
  else {
    const entries = Math.floor(palette!.length / 3);
    const gray = new Uint8Array(256);
    for (let k = 0; k < entries; k++) {
      const a = transparency && k < transparency.length ? transparency[k] : 255;
      gray[k] = overWhite(luma(palette![3 * k], palette![3 * k + 1], palette![3 * k + 2]), a);
    }
    for (let i = 0; i < n; i++) {
      if (rows[i] >= entries) fail(`pixel ${i % width}, ${Math.floor(i / width)} of the PNG uses palette entry ${rows[i]}; the palette has ${entries}`);
      pixels[i] = gray[rows[i]];
    }
  }
  return { width, height, pixels, format: "png" };
}

function decodePgm(bytes: Uint8Array, name: string): GrayImage {
  // P5 <ws> width <ws> height <ws> maxval <one ws> data; '#' starts a comment up to the end of its line
  let at = 2;
  const fields: number[] = [];
  while (fields.length < 3) {
    while (at < bytes.length) {
      const c = bytes[at];
      if (c === 0x23) while (at < bytes.length && bytes[at] !== 0x0a && bytes[at] !== 0x0d) at++;
      else if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) at++;
      else break;
    }
    const start = at;
    while (at < bytes.length && bytes[at] >= 0x30 && bytes[at] <= 0x39) at++;
    if (at === start) throw new UserError(`${name}: the PGM header is malformed (width, height and maxval are decimal numbers)`);
    const field = ["width", "height", "maxval"][fields.length];
    if (at - start > 9)
      throw new UserError(
        `${name}: the PGM's ${field} has ${at - start} digits; ${field === "maxval" ? "a maxval is 1..65535" : `images are at most ${MAX_IMAGE_PIXELS} pixels`}`,
      );
    fields.push(Number(String.fromCharCode(...bytes.subarray(start, at))));
  }
  const [width, height, maxval] = fields;
  if (at >= bytes.length || !(bytes[at] === 0x20 || (bytes[at] >= 0x09 && bytes[at] <= 0x0d)))
    throw new UserError(`${name}: the PGM header does not end in a whitespace byte`);
  at++;
  checkSize(name, width, height);
  if (maxval < 1 || maxval > 65535) throw new UserError(`${name}: the PGM's maxval is ${maxval}; it must be 1..65535`);
  const size = maxval > 255 ? 2 : 1;
  const n = width * height;
  if (bytes.length - at < n * size)
    throw new UserError(`${name}: the PGM is cut short: ${bytes.length - at} bytes of pixels for ${width}x${height}${size === 2 ? " at 2 bytes each" : ""}`);
  const pixels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = size === 2 ? (bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1] : bytes[at + i];
    if (v > maxval) throw new UserError(`${name}: PGM pixel ${i % width}, ${Math.floor(i / width)} is ${v}, above the maxval ${maxval}`);
    pixels[i] = maxval === 255 ? v : Math.floor((v * 255 + (maxval >> 1)) / maxval);
  }
  return { width, height, pixels, format: "pgm" };
}

/** The grayscale pixels of a PNG or binary PGM file's bytes; `name` is what errors call it. */
export function decodeImage(bytes: Uint8Array, name: string): GrayImage {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return decodePng(bytes, name);
  if (bytes.length >= 2 && bytes[0] === 0x50 && bytes[1] === 0x35) return decodePgm(bytes, name);
  if (bytes.length >= 2 && bytes[0] === 0x50 && bytes[1] === 0x32)
    throw new UserError(`${name}: a plain (ASCII, P2) PGM; classify reads binary PGM (P5): e.g. pnmtopnm or ImageMagick's convert to .pgm write one`);
  throw new UserError(`${name}: not a PNG or a binary PGM (P5) image`);
}
