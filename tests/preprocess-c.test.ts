/**
 * The C port of the camera preprocessing (firmware-codegen/c/bnn_preprocess.c with its steps,
 * bnn_preprocess_ink.c and bnn_preprocess_geometry.c) against its reference,
 * src/shared/camera-preprocess.ts: the returned ink count and the 784 output bytes must be
 * identical for every frame. Host gcc with ASan and UBSan on the simulated camera's frames of
 * MNIST test images 0..999 and on fast-check frames (random sizes up to 128x128 and strips up to
 * 16384 pixels, uniform, two-level, noise, specks, single dark pixels, contrast at the limit,
 * shapes on shaded paper, camera frames of other sizes, frames of the largest size; the frames:
 * tests/preprocess-c-frames.ts);
 * the preconditions; the same frames (a subset) on Cortex-M0 under qemu-system-arm -M microbit
 * and on rv32imc. How it builds and what it costs: tests/preprocess-c-build.test.ts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { M0_COUNT, RV32_COUNT, type CountTarget } from "../lib/measure/icount.ts";
import { C_DIR } from "../lib/paths.ts";
import { linkBareMetal, PREPROCESS_SOURCES, runQemuHarness, SANITIZE, STRICT } from "../lib/targets/targets.ts";
import { run } from "../lib/run.ts";
import { MAX_FRAME_BYTES } from "../src/shared/camera-chunks.ts";
import { OUT_PIXELS, OUT_SIDE, preprocess } from "../src/shared/camera-preprocess.ts";
import { scratchDir } from "./helpers.ts";
import { camera, framed, GENERATORS, NULL_FRAME, NULL_OUT, NULL_SCRATCH, preconditionCases, record, type Case } from "./preprocess-c-frames.ts";

const HARNESS = join(C_DIR, "harness");
const HARNESS_C = join(HARNESS, "preprocess_harness.c");
const build = scratchDir("preprocess-c");
const CAMERA_FRAMES = 1000;
const M0_CAMERA_FRAMES = 200;
/** The micro:bit's harness holds frames up to this size (16 KB of RAM). */
const M0_FRAME_BYTES = 12288;
const RESULT_BYTES = 4 + OUT_PIXELS;
const SEED = 20250607;
const RUNS = 200;

/** bnn_status_t */
const ERR_NULL = -1;
const ERR_SIZE = -2;
const ERR_LIMIT = -3;

interface Result {
  rc: number;
  out: Uint8Array;
}

function parseResult(b: Buffer): Result {
  return { rc: b.readInt32LE(0), out: new Uint8Array(b.subarray(4, RESULT_BYTES)) };
}

function parseResults(b: Buffer, count: number): Result[] {
  expect(b.length).toBe(count * RESULT_BYTES);
  return Array.from({ length: count }, (_, k) => parseResult(b.subarray(k * RESULT_BYTES, (k + 1) * RESULT_BYTES)));
}

/** What the C must answer: the TypeScript's result, or the precondition's error with `out` untouched. */
async function reference(c: Case): Promise<Result> {
  const untouched = () => new Uint8Array(OUT_PIXELS).fill(0xa5);
  if (c.flags & (NULL_FRAME | NULL_OUT | NULL_SCRATCH)) return { rc: ERR_NULL, out: untouched() };
  if (c.width < 1 || c.height < 1) return { rc: ERR_SIZE, out: untouched() };
  if (c.width * c.height > MAX_FRAME_BYTES) return { rc: ERR_LIMIT, out: untouched() };
  const out = new Uint8Array(OUT_PIXELS).fill(0x5a);
  const rc = await preprocess(c.frame, c.width, c.height, out);
  return { rc, out };
}

/** undefined when identical, else the first difference, naming the frame. */
function difference(c: Case, got: Result, want: Result): string | undefined {
  const what = `${c.name} (${c.width}x${c.height}, flags ${c.flags})`;
  if (got.rc !== want.rc) return `${what}: returned ${got.rc}, the TypeScript ${want.rc}`;
  for (let i = 0; i < OUT_PIXELS; i++) {
    if (got.out[i] !== want.out[i])
      return `${what}: first differing byte ${i} (row ${Math.floor(i / OUT_SIDE)}, column ${i % OUT_SIDE}): C ${got.out[i]}, TypeScript ${want.out[i]}`;
  }
  return undefined;
}

/** Compares a batch; returns the number of identical results and the differences. */
async function compare(cases: Case[], results: Result[]): Promise<{ identical: number; differences: string[] }> {
  const differences: string[] = [];
  for (let k = 0; k < cases.length; k++) {
    const d = difference(cases[k], results[k], await reference(cases[k]));
    if (d) differences.push(d);
  }
  return { identical: cases.length - differences.length, differences };
}

/** One harness process that answers a record at a time (results are flushed per record). */
class Harness {
  private child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: Result) => void; reject: (e: Error) => void }[] = [];
  private stderr = "";
  private exited?: string;
  private exitCode: number | null = null;

  constructor(exe: string) {
    this.child = spawn(exe, [], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      while (this.buffer.length >= RESULT_BYTES && this.waiting.length > 0) {
        const r = parseResult(this.buffer.subarray(0, RESULT_BYTES));
        this.buffer = this.buffer.subarray(RESULT_BYTES);
        this.waiting.shift()!.resolve(r);
      }
    });
    this.child.stderr.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.child.on("close", (code, signal) => {
      this.exitCode = code;
      this.exited = `the harness exited (${code ?? signal}) ${this.stderr.slice(0, 4000)}`;
      for (const w of this.waiting.splice(0)) w.reject(new Error(this.exited));
    });
  }

  call(c: Case): Promise<Result> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(record(c));
    });
  }

  async close(): Promise<{ code: number | null; stderr: string }> {
    const done = new Promise<number | null>((resolve) => this.child.on("close", (code) => resolve(code)));
    this.child.stdin.end();
    if (!this.exited) await done;
    return { code: this.exitCode, stderr: this.stderr };
  }
}

// ---- builds ----

async function buildHost(): Promise<string> {
  const exe = join(build, "preprocess-host");
  await run("gcc", [
    ...STRICT,
    "-O1",
    "-g",
    ...SANITIZE,
    `-I${C_DIR}`,
    `-I${HARNESS}`,
    ...PREPROCESS_SOURCES,
    HARNESS_C,
    join(HARNESS, "preprocess_host_main.c"),
    "-o",
    exe,
  ]);
  return exe;
}

/** The harness on an emulated core (semihosting), with -O2 like the classifier's builds. */
async function buildEmulated(t: CountTarget): Promise<string> {
  const elf = join(build, `preprocess-${t.name}.elf`);
  await linkBareMetal(
    t,
    [
      ...STRICT,
      "-O2",
      ...t.cflags,
      `-DBNN_HARNESS_FRAME_BYTES=${M0_FRAME_BYTES}`,
      `-I${C_DIR}`,
      `-I${HARNESS}`,
      ...PREPROCESS_SOURCES,
      HARNESS_C,
      join(HARNESS, "semihost_main.c"),
    ],
    elf,
  );
  return elf;
}

function runEmulated(t: CountTarget, elf: string, input: Buffer): Promise<Buffer> {
  return runQemuHarness(t, elf, input, scratchDir(`preprocess-${t.name}`));
}

/** The property frames the emulated cores run: a seeded sample of every generator that fits the micro:bit's harness. */
function emulatedSample(perGenerator: number): Case[] {
  return Object.values(GENERATORS).flatMap((g) =>
    fc.sample(
      g.filter((c) => c.width * c.height <= M0_FRAME_BYTES),
      { seed: SEED, numRuns: perGenerator },
    ),
  );
}

function report(label: string, r: { identical: number; differences: string[] }, total: number): void {
  console.log(`${label}: ${r.identical}/${total} identical${r.differences.length ? `; differences:\n  ${r.differences.slice(0, 20).join("\n  ")}` : ""}`);
}

// ---- tests ----

describe("C camera preprocessing (bnn_preprocess.c)", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = new Harness(await buildHost());
  });
  afterAll(async () => {
    const r = await harness.close();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it(`gives the TypeScript's bytes for the camera frames of MNIST test images 0..${CAMERA_FRAMES - 1} (host gcc, ASan + UBSan)`, async () => {
    const cases = Array.from({ length: CAMERA_FRAMES }, (_, k) => camera(k));
    const results = await Promise.all(cases.map((c) => harness.call(c)));
    const r = await compare(cases, results);
    report(`host gcc, camera frames 0..${CAMERA_FRAMES - 1}`, r, cases.length);
    expect(r.differences).toEqual([]);
    // every camera frame shows a digit
    expect(results.filter((x) => x.rc > 0).length).toBe(CAMERA_FRAMES);
  });

  it("refuses NULL and bad sizes before reading or writing anything, and takes the boundary sizes", async () => {
    const cases = preconditionCases();
    const results = await Promise.all(cases.map((c) => harness.call(c)));
    const r = await compare(cases, results);
    expect(r.differences).toEqual([]);
    expect(results.map((x) => x.rc)).toEqual([
      ERR_NULL,
      ERR_NULL,
      ERR_NULL,
      ERR_NULL,
      ERR_NULL,
      ERR_NULL,
      ERR_SIZE,
      ERR_SIZE,
      ERR_SIZE,
      ERR_SIZE,
      ERR_LIMIT,
      ERR_LIMIT,
      ERR_LIMIT,
      ERR_LIMIT,
      ERR_LIMIT,
      ERR_LIMIT,
      ERR_SIZE,
      ERR_LIMIT,
      0,
      0,
    ]);
  });

  describe(`fast-check frames (seed ${SEED}, ${RUNS} runs each)`, () => {
    for (const [name, arbitrary] of Object.entries(GENERATORS)) {
      it(name, async () => {
        let identical = 0;
        let digits = 0;
        await fc.assert(
          fc.asyncProperty(arbitrary, async (c) => {
            const [got, want] = await Promise.all([harness.call(c), reference(c)]);
            const d = difference(c, got, want);
            if (d) throw new Error(d);
            identical++;
            if (got.rc > 0) digits++;
          }),
          { seed: SEED, numRuns: RUNS },
        );
        console.log(`host gcc, ${name}: ${identical}/${RUNS} identical (${digits} with a digit)`);
      });
    }
  });

  const emulated: [CountTarget, string][] = [
    [M0_COUNT, "Cortex-M0 (qemu-system-arm -M microbit)"],
    [RV32_COUNT, "rv32imc (qemu-system-riscv32 -M virt)"],
  ];
  for (const [t, label] of emulated) {
    it(`gives the same bytes on ${label}: camera frames 0..${M0_CAMERA_FRAMES - 1}, fast-check frames, preconditions`, async () => {
      const cases = [
        ...Array.from({ length: M0_CAMERA_FRAMES }, (_, k) => camera(k)),
        ...emulatedSample(15),
        ...preconditionCases().filter((c) => !framed(c.width, c.height) || c.width * c.height <= M0_FRAME_BYTES),
      ];
      const out = await runEmulated(t, await buildEmulated(t), Buffer.concat(cases.map(record)));
      const r = await compare(cases, parseResults(out, cases.length));
      report(label, r, cases.length);
      expect(r.differences).toEqual([]);
    });
  }
});
