// The `frame_chunk` report of a Digit Camera (services/digitcamera.md): a frame (width * height
// bytes) travels as a sequence of chunks, each frame_id u32, offset u16, total u16 (the frame's
// size), then up to 228 pixel bytes, little-endian; a Jacdac payload holds at most 236 bytes.
// Plain TypeScript (imports only src/shared/): the DeviceScript program reassembles frames with
// it (src/camera/frames.ts), the simulated camera (devices/camera.ts) writes chunks with it.

import type { ByteArray } from "./bits.js";

/** Largest Jacdac packet payload. */
export const MAX_PAYLOAD = 236;
/** frame_id u32, offset u16, total u16. */
export const CHUNK_HEADER_SIZE = 8;
export const MAX_CHUNK_PIXELS = MAX_PAYLOAD - CHUNK_HEADER_SIZE;
/** Frames larger than this are refused (RAM on the board). */
export const MAX_FRAME_BYTES = 16384;

export interface ChunkHeader {
  frameId: number;
  offset: number;
  total: number;
  /** Pixel bytes in the chunk. */
  pixels: number;
}

function u16(p: ByteArray, o: number): number {
  return p[o] | (p[o + 1] << 8);
}

/** The header of a chunk payload, or undefined when the payload cannot be a chunk. */
export function readChunkHeader(p: ByteArray): ChunkHeader | undefined {
  if (p.length < CHUNK_HEADER_SIZE) return undefined;
  return { frameId: (u16(p, 0) | (u16(p, 2) << 16)) >>> 0, offset: u16(p, 4), total: u16(p, 6), pixels: p.length - CHUNK_HEADER_SIZE };
}

/** A chunk payload: bytes offset .. offset + count - 1 of `frame`. */
export function encodeChunk(frameId: number, frame: ByteArray, offset: number, count: number): Buffer {
  const p = Buffer.alloc(CHUNK_HEADER_SIZE + count);
  const words = [frameId & 0xffff, (frameId >>> 16) & 0xffff, offset, frame.length];
  for (let k = 0; k < 4; k++) {
    p[2 * k] = words[k] & 0xff;
    p[2 * k + 1] = (words[k] >> 8) & 0xff;
  }
  for (let i = 0; i < count; i++) p[CHUNK_HEADER_SIZE + i] = frame[offset + i];
  return p;
}
