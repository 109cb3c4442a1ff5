/**
 * Simulated digit camera (services/digitcamera.md): photographs MNIST test images as dark ink on
 * light paper in a 64x48 grayscale frame (varying position and size, a slight brightness gradient,
 * mild noise, all derived from the image index, so a frame is the same bytes on every run) and
 * serves it as `frame_chunk` reports on the DeviceScript devtools hub.
 *
 *   node --import tsx devices/camera.ts [--first 0] [--count 300] [--url ws://127.0.0.1:8081]
 *                                       [--chunk-gap-ms 2]
 *
 * `capture(frame_id, offset)` serves MNIST test image first + frame_id % count. Prints
 * "camera ready" once connected.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { JDServiceServer, Packet } from "jacdac-ts";
import { IMAGE_PIXELS, IMAGE_SIDE, loadMnist } from "../host/lib/mnist.ts";
import { customSpec, joinHub } from "./hub.ts";

/** services/digitcamera.md */
export const DIGIT_CAMERA_CLASS = 0x1deebedc;
export const CMD_CAPTURE = 0x80;
export const REPORT_FRAME_CHUNK = 0x81;
export const REG_WIDTH = 0x180;
export const REG_HEIGHT = 0x181;
export const REG_FRAME_COUNT = 0x182;
export const REG_STORED_FRAMES = 0x183;

export const FRAME_WIDTH = 64;
export const FRAME_HEIGHT = 48;
/** Largest Jacdac packet payload. */
export const MAX_PAYLOAD = 236;
/** frame_id u32, offset u16, total u16. */
export const CHUNK_HEADER = 8;
export const CHUNK_PIXELS = MAX_PAYLOAD - CHUNK_HEADER;


/** A 32-bit integer hash (lowbias32) of a few integers: the frames' only source of variation. */
export function hash32(...values: number[]): number {
  let h = 0x2545f491;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x9e3779b1) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d) >>> 0;
    h ^= h >>> 15;
    h = Math.imul(h, 0x846ca68b) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Integer in lo..hi (inclusive) from hash h. */
function pick(h: number, lo: number, hi: number): number {
  return lo + (h % (hi - lo + 1));
}

export interface Shot {
  /** Side of the painted 28x28 field in frame pixels (28..42: the digit itself is ~20..30 px). */
  size: number;
  /** Top-left corner of the painted field in the frame. */
  x0: number;
  y0: number;
  /** Paper brightness at the frame centre, and its change across the frame in x and y. */
  paper: number;
  gradX: number;
  gradY: number;
  /** Grey level of full ink. */
  ink: number;
  /** Noise amplitude: each pixel gets a uniform integer in -noise..noise. */
  noise: number;
}

/** The deterministic photo parameters of image `index`. */
export function shotFor(index: number, width = FRAME_WIDTH, height = FRAME_HEIGHT): Shot {
  const size = pick(hash32(index, 1), IMAGE_SIDE, Math.min(Math.floor((IMAGE_SIDE * 3) / 2), width, height));
  return {
    size,
    x0: pick(hash32(index, 2), 0, width - size),
    y0: pick(hash32(index, 3), 0, height - size),
    paper: pick(hash32(index, 4), 175, 215),
    gradX: pick(hash32(index, 5), -30, 30),
    gradY: pick(hash32(index, 6), -20, 20),
    ink: pick(hash32(index, 7), 25, 70),
    noise: pick(hash32(index, 8), 3, 8),
  };
}

/**
 * Photographs a 28x28 MNIST digit (0 = background, 255 = ink; `digit[offset..offset+783]`) as
 * the camera would see it: 0 = black, 255 = white. The field is scaled bilinearly (fixed point,
 * 1/256 pixel) to `shot.size` pixels; every step is integer arithmetic.
 */
export function synthesizeFrame(digit: Uint8Array, offset: number, index: number, width = FRAME_WIDTH, height = FRAME_HEIGHT): Uint8Array {
  const s = shotFor(index, width, height);
  const frame = new Uint8Array(width * height);
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= IMAGE_SIDE || y >= IMAGE_SIDE ? 0 : digit[offset + y * IMAGE_SIDE + x]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const paper = s.paper + Math.trunc((s.gradX * (2 * x - width)) / (2 * width)) + Math.trunc((s.gradY * (2 * y - height)) / (2 * height));
      let g = 0;
      const dx = x - s.x0;
      const dy = y - s.y0;
      if (dx >= 0 && dy >= 0 && dx < s.size && dy < s.size) {
        // centre of frame pixel dx in field coordinates, in 1/256 field pixels
        const u = Math.floor(((2 * dx + 1) * IMAGE_SIDE * 256) / (2 * s.size)) - 128;
        const v = Math.floor(((2 * dy + 1) * IMAGE_SIDE * 256) / (2 * s.size)) - 128;
        const ix = u >> 8;
        const iy = v >> 8;
        const fx = u & 255;
        const fy = v & 255;
        const top = at(ix, iy) * (256 - fx) + at(ix + 1, iy) * fx;
        const bottom = at(ix, iy + 1) * (256 - fx) + at(ix + 1, iy + 1) * fx;
        g = (top * (256 - fy) + bottom * fy + 32768) >> 16;
      }
      const n = (hash32(index, 9, y * width + x) % (2 * s.noise + 1)) - s.noise;
      const p = paper - Math.floor(((paper - s.ink) * g + 127) / 255) + n;
      frame[y * width + x] = p < 0 ? 0 : p > 255 ? 255 : p;
    }
  }
  return frame;
}

/** The `frame_chunk` payloads covering bytes offset..end of `frame`, in order. */
export function frameChunks(frameId: number, frame: Uint8Array, offset = 0): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = offset; at < frame.length; at += CHUNK_PIXELS) {
    const n = Math.min(CHUNK_PIXELS, frame.length - at);
    const p = new Uint8Array(CHUNK_HEADER + n);
    const dv = new DataView(p.buffer);
    dv.setUint32(0, frameId >>> 0, true);
    dv.setUint16(4, at, true);
    dv.setUint16(6, frame.length, true);
    p.set(frame.subarray(at, at + n), CHUNK_HEADER);
    out.push(p);
  }
  return out;
}

export interface CameraOptions {
  /** MNIST test images (count * 784 bytes) and the range served. */
  images: Uint8Array;
  first: number;
  count: number;
  /** Pause between two chunk reports (a real bus needs ~2.5 ms per full packet). */
  chunkGapMs?: number;
}

export class CameraServer extends JDServiceServer {
  private lastId = -1;
  private frame: Uint8Array | undefined;
  frameCount = 0;

  constructor(
    serviceClass: number,
    private readonly options: CameraOptions,
  ) {
    super(serviceClass);
  }

  /** The frame for `frameId`: MNIST test image first + frameId % count. */
  frameFor(frameId: number): Uint8Array {
    const index = this.options.first + (frameId % this.options.count);
    return synthesizeFrame(this.options.images, index * IMAGE_PIXELS, index);
  }

  override async handlePacket(pkt: Packet): Promise<void> {
    if (pkt.serviceCommand === CMD_CAPTURE && !pkt.isRegisterGet) {
      const d = pkt.data;
      if (d.length < 4) return;
      const dv = new DataView(d.buffer, d.byteOffset, d.length);
      const frameId = dv.getUint32(0, true);
      const offset = d.length >= 6 ? dv.getUint16(4, true) : 0;
      if (frameId !== this.lastId || !this.frame) {
        this.frame = this.frameFor(frameId);
        this.lastId = frameId;
        this.frameCount++;
      }
      const gap = this.options.chunkGapMs ?? 0;
      for (const chunk of frameChunks(frameId, this.frame, offset)) {
        await this.sendPacketAsync(Packet.from(REPORT_FRAME_CHUNK, chunk));
        if (gap > 0) await new Promise((r) => setTimeout(r, gap));
      }
      return;
    }
    if (pkt.isRegisterGet) {
      const value = this.registerBytes(pkt.registerIdentifier);
      if (value) {
        await this.sendPacketAsync(Packet.from(pkt.serviceCommand, value));
        return;
      }
    }
    await super.handlePacket(pkt);
  }

  private registerBytes(reg: number): Uint8Array | undefined {
    const u16 = (v: number) => new Uint8Array([v & 255, v >> 8]);
    const u32 = (v: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, v >>> 0, true);
      return b;
    };
    switch (reg) {
      case REG_WIDTH:
        return u16(FRAME_WIDTH);
      case REG_HEIGHT:
        return u16(FRAME_HEIGHT);
      case REG_FRAME_COUNT:
        return u32(this.frameCount);
      case REG_STORED_FRAMES:
        return u32(this.options.count);
      default:
        return undefined;
    }
  }
}

function intOption(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}..${max}, got '${value}'`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      first: { type: "string", default: "0" },
      count: { type: "string", default: "300" },
      url: { type: "string", default: "ws://127.0.0.1:8081" },
      "chunk-gap-ms": { type: "string", default: "2" },
    },
  });
  const test = loadMnist("test");
  const first = intOption("first", values.first, 0, test.count - 1);
  const count = intOption("count", values.count, 1, test.count - first);
  const chunkGapMs = intOption("chunk-gap-ms", values["chunk-gap-ms"], 0, 1000);
  const { spec, specs } = customSpec("digitcamera");
  if (spec.classIdentifier !== DIGIT_CAMERA_CLASS) throw new Error(`services/digitcamera.md has class 0x${spec.classIdentifier.toString(16)}, this device 0x${DIGIT_CAMERA_CLASS.toString(16)}`);
  const server = new CameraServer(spec.classIdentifier, { images: test.images, first, count, chunkGapMs });
  await joinHub(values.url!, specs, "digit-camera", [server], `Digit camera (MNIST test ${first}..${first + count - 1})`);
  console.log("camera ready");
}

// Runs only as a program; tests and the fixture generator import the functions above.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`camera: ${(e as Error).message}`);
    process.exit(1);
  });
}
