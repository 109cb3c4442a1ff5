/**
 * The long runs of the simulated board (npm start = bnn sim; excluded from npm run test:fast): a hub of the run's own + simulated classifier device
 * (the firmware's C service in WebAssembly) + DeviceScript VM running src/main.ts. Every sequence
 * number arrives exactly once and equals the TypeScript reference, through the native path, the
 * bytecode fallback, a model-id mismatch and a classifier restart; the device answers a wrong
 * payload with an error report; Ctrl-C and SIGKILL leave nothing running.
 *
 * Cleanup is checked on what each run started, nothing else: `bnn sim --json` names its hub port
 * and the PID of every process it starts, and the checks look at exactly those (other test
 * files, or a simulator someone runs beside the tests, are never looked at).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sampleLine } from "../lib/strokes/format.ts";
import { penDigits } from "../lib/train/pen-digits.ts";
import { scratchDir } from "./helpers.ts";
import { bnn } from "./run-bnn.ts";
import { expectAllOnceAndExact, expectCleanedUp, id32, runSim } from "./sim-run.ts";

describe("bnn sim (the simulated board)", () => {
  // 100 digits prove what 300 did (every seq once, every result equal to the reference) at a
  // third of the time; the pen-up is the shortest the program's 600 ms digit timeout allows
  it("touch: 100 MNIST test digits drawn as strokes through the native classifier, every digit once and exact", async () => {
    const run = await runSim(["--source", "touch", "--count", "100", "--pen-up", "650"]);
    const results = expectAllOnceAndExact(run, 100);
    expect(results.every((x) => x.backend === "native")).toBe(true);
    await expectCleanedUp(run);
  });

  it("camera: 300 MNIST test digits as frames through the native classifier, every digit once and exact", async () => {
    const run = await runSim(["--source", "camera", "--count", "300"]);
    const results = expectAllOnceAndExact(run, 300);
    expect(results.every((x) => x.backend === "native")).toBe(true);
    await expectCleanedUp(run);
  });

  it("samples: classifies through the native classifier, every digit once and exact", async () => {
    const run = await runSim(["--source", "samples", "--count", "40"]);
    const results = expectAllOnceAndExact(run, 40);
    expect(results.every((x) => x.backend === "native")).toBe(true);
    await expectCleanedUp(run);
  });

  it("recovers from a classifier restart and loses no digit", async () => {
    const run = await runSim(["--source", "samples", "--count", "40", "--restart-classifier-at", "5"]);
    const results = expectAllOnceAndExact(run, 40);
    expect(results.filter((x) => x.backend === "bytecode").length).toBeGreaterThan(0);
    expect(results.filter((x) => x.backend === "native" && x.seq! > 10).length).toBeGreaterThan(0);
    await expectCleanedUp(run);
  });

  it("two simulators started at the same moment both finish, each on its own port", async () => {
    const [a, b] = await Promise.all([
      runSim(["--source", "samples", "--count", "8"]),
      runSim(["--source", "samples", "--count", "8", "--backend", "bytecode"]),
    ]);
    expectAllOnceAndExact(a, 8);
    expectAllOnceAndExact(b, 8);
    expect(a.port).not.toBe(b.port);
    await expectCleanedUp(a);
    await expectCleanedUp(b);
  });

  it("runs the program with another shipped model (--model large), the classifier following", async () => {
    const run = await runSim(["--source", "camera", "--count", "6", "--model", "large"]);
    const results = expectAllOnceAndExact(run, 6);
    expect(results.every((x) => x.backend === "native")).toBe(true);
    expect(new Set(run.lines.filter((l) => l.seq !== undefined).map((l) => (l as { model?: string }).model))).toEqual(new Set([id32("large")]));
    await expectCleanedUp(run);
  });

  it("touch: replays real pen digits from a stroke file (--strokes), each line equal to bnn classify on the same strokes, on both backends", async () => {
    // two digits of each label from three writers, as written (their own size and place on the panel)
    const picked = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((d) =>
      penDigits()
        .filter((s) => s.label === d && ["4", "14", "25"].includes(s.writer!))
        .slice(0, 2),
    );
    const file = join(scratchDir("sim-replay"), "pen.jsonl");
    writeFileSync(file, picked.map((s) => sampleLine(s)).join("\n") + "\n");
    const c = await bnn(["classify", "--strokes", file]);
    expect(c.code, c.stderr).toBe(0);
    const want = c.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { digit: number | null }).digit ?? -1);
    const [native, bytecode] = await Promise.all([
      runSim(["--strokes", file, "--pen-up", "650"]),
      runSim(["--strokes", file, "--pen-up", "650", "--backend", "bytecode", "--count", "6"]),
    ]);
    for (const [run, n, backend] of [
      [native, picked.length, "native"],
      [bytecode, 6, "bytecode"],
    ] as const) {
      const results = expectAllOnceAndExact(run, n);
      expect(results.every((x) => x.backend === backend)).toBe(true);
      const got = [...results].sort((a, b) => a.seq! - b.seq!).map((x) => (x as { digit?: number }).digit);
      expect(got).toEqual(want.slice(0, n));
      await expectCleanedUp(run);
    }
  });
});
