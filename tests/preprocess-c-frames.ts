/**
 * The frames tests/preprocess-c.test.ts compares the C camera preprocessing with the TypeScript
 * on, and the records its harness (firmware-codegen/c/harness/preprocess_harness.c) reads: the
 * simulated camera's frames of MNIST test images, the fast-check generators of frames and the
 * calls that break a precondition.
 */
import fc from "fast-check";
import { FRAME_HEIGHT, FRAME_WIDTH, synthesizeFrame } from "../lib/image/photo.ts";
import { IMAGE_PIXELS, loadMnist } from "../lib/mnist.ts";
import { MAX_FRAME_BYTES } from "../src/shared/camera-chunks.ts";

const test = loadMnist("test");

/** Flags of a harness record (preprocess_harness.c). */
export const NULL_FRAME = 1;
export const NULL_OUT = 2;
export const CALLER_SCRATCH = 4;
export const NULL_SCRATCH = 8;

export interface Case {
  /** What the frame is, enough to make it again (generator and parameters). */
  name: string;
  width: number;
  height: number;
  frame: Uint8Array;
  flags: number;
}

/** Whether the C takes a frame of this size (else the harness sends no pixels). */
export const framed = (width: number, height: number) => width >= 1 && height >= 1 && width * height <= MAX_FRAME_BYTES;

/** The harness's record of a call: width, height, flags, then the frame's pixels if it takes them. */
export function record(c: Case): Buffer {
  const header = Buffer.alloc(12);
  header.writeInt32LE(c.width, 0);
  header.writeInt32LE(c.height, 4);
  header.writeUInt32LE(c.flags, 8);
  return framed(c.width, c.height) ? Buffer.concat([header, c.frame]) : header;
}

/** mulberry32: the frames' pixels from a seed fast-check draws (so shrinking works on parameters). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
const level = fc.integer({ min: 0, max: 255 });
const seed = fc.integer({ min: 0, max: 0xffffffff });
const side = fc.integer({ min: 1, max: 128 });
const flags = fc.constantFrom(0, CALLER_SCRATCH);

function make(name: string, params: Record<string, unknown>, width: number, height: number, f: number, pixel: (x: number, y: number) => number): Case {
  const frame = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) frame[y * width + x] = clamp(pixel(x, y));
  return { name: `${name}${JSON.stringify(params)}`, width, height, frame, flags: f };
}

export const cameraFrame = (k: number, width = FRAME_WIDTH, height = FRAME_HEIGHT) => synthesizeFrame(test.images, k * IMAGE_PIXELS, k, width, height);

/** Shapes (bars, blocks, dots) of ink on shaded, noisy paper: frames that show something digit-like. */
function shapes(p: {
  w: number;
  h: number;
  paper: number;
  ink: number;
  gx: number;
  gy: number;
  noise: number;
  rects: { x: number; y: number; rw: number; rh: number }[];
  seed: number;
  flags: number;
}): Case {
  const r = prng(p.seed);
  return make("shapes", p, p.w, p.h, p.flags, (x, y) => {
    const inRect = p.rects.some((q) => {
      const x0 = q.x % p.w;
      const y0 = q.y % p.h;
      return x >= x0 && y >= y0 && x < x0 + q.rw && y < y0 + q.rh;
    });
    const paper = p.paper + Math.trunc((p.gx * (2 * x - p.w)) / (2 * p.w)) + Math.trunc((p.gy * (2 * y - p.h)) / (2 * p.h));
    const n = p.noise === 0 ? 0 : (r() % (2 * p.noise + 1)) - p.noise;
    return (inRect ? p.ink : paper) + n;
  });
}

const rect = fc.record({ x: fc.nat(16383), y: fc.nat(16383), rw: fc.integer({ min: 1, max: 60 }), rh: fc.integer({ min: 1, max: 60 }) });
const shapeParams = (w: fc.Arbitrary<number>, h: fc.Arbitrary<number>) =>
  fc.record({
    w,
    h,
    paper: fc.integer({ min: 90, max: 255 }),
    ink: fc.integer({ min: 0, max: 140 }),
    gx: fc.integer({ min: -60, max: 60 }),
    gy: fc.integer({ min: -60, max: 60 }),
    noise: fc.integer({ min: 0, max: 12 }),
    rects: fc.array(rect, { minLength: 1, maxLength: 4 }),
    seed,
    flags,
  });

const twoLevel = (bg: fc.Arbitrary<number>, fg: fc.Arbitrary<number>) =>
  fc.record({ w: side, h: side, bg, fg, permille: fc.integer({ min: 0, max: 1000 }), seed, flags }).map((p) => {
    const r = prng(p.seed);
    return make("twoLevel", p, p.w, p.h, p.flags, () => (r() % 1000 < p.permille ? p.fg : p.bg));
  });

/** The property generators: name -> arbitrary frame. */
export const GENERATORS: Record<string, fc.Arbitrary<Case>> = {
  uniform: fc.record({ w: side, h: side, v: level, flags }).map((p) => make("uniform", p, p.w, p.h, p.flags, () => p.v)),
  "all 0 / all 255": fc.record({ w: side, h: side, v: fc.constantFrom(0, 255), flags }).map((p) => make("constant", p, p.w, p.h, p.flags, () => p.v)),
  "two levels": twoLevel(level, level),
  "extreme contrast (0 on 255)": twoLevel(fc.constant(255), fc.constant(0)),
  noise: fc.record({ w: side, h: side, lo: level, range: level, seed, flags }).map((p) => {
    const r = prng(p.seed);
    return make("noise", p, p.w, p.h, p.flags, () => p.lo + (r() % (p.range + 1)));
  }),
  "tiny specks": fc.record({ w: side, h: side, bg: level, ink: level, count: fc.integer({ min: 1, max: 6 }), seed, flags }).map((p) => {
    const r = prng(p.seed);
    const specks = new Set(Array.from({ length: p.count }, () => r() % (p.w * p.h)));
    return make("specks", p, p.w, p.h, p.flags, (x, y) => (specks.has(y * p.w + x) ? p.ink : p.bg));
  }),
  "a single dark pixel": fc
    .record({ w: side, h: side, bg: fc.integer({ min: 1, max: 255 }), dark: fc.nat(254), at: fc.nat(16383), flags })
    .map((p) => make("singleDark", p, p.w, p.h, p.flags, (x, y) => (y * p.w + x === p.at % (p.w * p.h) ? p.dark % p.bg : p.bg))),
  "contrast near the limit (40)": fc
    .record({
      w: side,
      h: side,
      bg: fc.integer({ min: 30, max: 255 }),
      diff: fc.integer({ min: 30, max: 50 }),
      permille: fc.integer({ min: 1, max: 999 }),
      noise: fc.integer({ min: 0, max: 2 }),
      seed,
      flags,
    })
    .map((p) => {
      const r = prng(p.seed);
      return make(
        "nearContrast",
        p,
        p.w,
        p.h,
        p.flags,
        () => (r() % 1000 < p.permille ? p.bg - p.diff : p.bg) + (p.noise ? (r() % (2 * p.noise + 1)) - p.noise : 0),
      );
    }),
  "shapes on shaded paper": shapeParams(side, side).map(shapes),
  "camera frames of other sizes": fc
    .record({ w: fc.integer({ min: 28, max: 128 }), h: fc.integer({ min: 28, max: 128 }), k: fc.nat(9999), flags })
    .map((p) => ({
      name: `camera${JSON.stringify(p)}`,
      width: p.w,
      height: p.h,
      frame: cameraFrame(p.k, p.w, p.h),
      flags: p.flags,
    })),
  "strips (1..3 x n, n x 1..3, up to 16384 pixels)": fc
    .record({ n: fc.integer({ min: 1, max: MAX_FRAME_BYTES }), thick: fc.integer({ min: 1, max: 3 }), vertical: fc.boolean() })
    .chain((l) => {
      const long = Math.max(1, Math.floor(l.n / l.thick));
      return shapeParams(fc.constant(l.vertical ? l.thick : long), fc.constant(l.vertical ? long : l.thick));
    })
    .map(shapes),
  "the largest frames (w x floor(16384 / w))": fc
    .integer({ min: 1, max: MAX_FRAME_BYTES })
    .chain((w) => shapeParams(fc.constant(w), fc.constant(Math.floor(MAX_FRAME_BYTES / w))))
    .map(shapes),
};

export const camera = (k: number): Case => ({
  name: `camera frame of MNIST test image ${k}`,
  width: FRAME_WIDTH,
  height: FRAME_HEIGHT,
  frame: cameraFrame(k),
  flags: 0,
});

/** Calls that break a precondition: refused with the right code, `out` untouched. */
export function preconditionCases(): Case[] {
  const f = (name: string, width: number, height: number, fl = 0): Case => ({
    name,
    width,
    height,
    frame: new Uint8Array(framed(width, height) ? width * height : 0).fill(200),
    flags: fl,
  });
  return [
    f("NULL frame", 64, 48, NULL_FRAME),
    f("NULL out", 64, 48, NULL_OUT),
    f("NULL frame and out", 64, 48, NULL_FRAME | NULL_OUT),
    f("NULL scratch", 64, 48, NULL_SCRATCH),
    f("NULL out, caller scratch", 64, 48, NULL_OUT | CALLER_SCRATCH),
    f("NULL before a bad size", 0, 48, NULL_FRAME),
    f("width 0", 0, 48),
    f("height 0", 64, 0),
    f("width -1", -1, 48),
    f("height -2147483648", 64, -2147483648),
    f("one pixel too many", MAX_FRAME_BYTES + 1, 1),
    f("129 x 128", 129, 128),
    f("1 x 16385", 1, MAX_FRAME_BYTES + 1),
    f("65536 x 65536 (the product wraps to 0 in 32 bits)", 65536, 65536),
    f("2147483647 x 1", 2147483647, 1),
    f("2147483647 x 2147483647", 2147483647, 2147483647),
    f("width 0, caller scratch", 0, 5, CALLER_SCRATCH),
    f("too big, caller scratch", 200, 200, CALLER_SCRATCH),
    // accepted: the boundaries themselves
    f("16384 x 1 (uniform: no digit)", MAX_FRAME_BYTES, 1),
    f("1 x 1", 1, 1),
  ];
}
