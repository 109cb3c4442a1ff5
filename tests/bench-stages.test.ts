/**
 * `bnn bench stages`: the stage probe (src/probe.ts) in the simulator's VM. Its JSON holds every
 * stage the probe times, for both sources, in a run with the simulated classifier (native stages
 * timed) and one without (native stages null); the per-digit sums are the sums of their stages.
 * The parser of the probe's lines (lib/probe/parse.ts) rejects malformed lines and
 * incomplete runs; a probe that throws in the VM is a one-line failure; a run stopped by Ctrl-C
 * or failing leaves nothing running and its hub's port free. No figure is compared with a time:
 * the VM's speed depends on the machine.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../lib/errors.ts";
import { isNativeStage, parseProbeLine, parseProbeLog, ProbeFormatError, ProbeReader, SOURCES, STAGES, type StageFigure } from "../lib/probe/parse.ts";
import { runProbe } from "../lib/probe/run.ts";
import { BACKENDS, BOARD_PATHS, boardTotals, type Totals } from "../lib/probe/totals.ts";
import { scratchDir } from "./helpers.ts";
import { bnn, expectOneLineError } from "./run-bnn.ts";
import { alive, BIN, id32, portFree } from "./sim-run.ts";

interface Run {
  backend: string;
  model: string;
  probeMs: number;
  stages: StageFigure[];
  totals: Totals;
}

/** The PIDs and hub ports a run's progress lines name. */
function started(stderr: string): { pids: number[]; ports: number[] } {
  return {
    pids: [...stderr.matchAll(/, pid (\d+)$/gm)].map((m) => Number(m[1])),
    ports: [...stderr.matchAll(/Jacdac hub ws:\/\/127\.0\.0\.1:(\d+)$/gm)].map((m) => Number(m[1])),
  };
}

async function expectNothingLeft(stderr: string, processes: number): Promise<void> {
  const { pids, ports } = started(stderr);
  expect(pids).toHaveLength(processes);
  expect(ports.length).toBeGreaterThan(0);
  for (let t = 0; t < 40 && pids.some(alive); t++) await new Promise((r) => setTimeout(r, 100));
  expect(pids.filter(alive)).toEqual([]);
  for (const port of ports) expect(await portFree(port)).toBe(true);
}

const probeLines = (model: string, native: boolean) => {
  const lines = [`@probe start ${native ? "native" : "bytecode-only"} ${model}`];
  for (const source of SOURCES)
    for (const k of [0, 1])
      for (const stage of STAGES[source])
        lines.push(isNativeStage(stage) && !native ? `@probe ${stage} ${source} ${k} n/a 0` : `@probe ${stage} ${source} ${k} ${k + 1}.${stage.length % 10} 4`);
  return [...lines, "@probe done 1234"];
};

describe("the probe's line format (lib/probe/parse.ts)", () => {
  it("reads every kind of line, with the VM's and a board's console prefix, and skips other lines", () => {
    expect(parseProbeLine("WASM> @probe start native 191e9cb9")).toEqual({ kind: "start", native: true, model: "191e9cb9" });
    expect(parseProbeLine("> @probe raster touch 2 12.5 1\r")).toEqual({ kind: "stage", stage: "raster", source: "touch", case: 2, ms: 12.5, runs: 1 });
    expect(parseProbeLine("@probe native-frame camera 0 n/a 0")).toMatchObject({ ms: null, runs: 0 });
    expect(parseProbeLine("@probe done 4296")).toEqual({ kind: "done", ms: 4296 });
    expect(parseProbeLine("WASM> start: devicescript-bnn probe v0.1.1")).toBeUndefined();
    expect(parseProbeLine("@bnn2 0 touch 7 -1 0 0 bytecode 191e9cb9 2:31,3:40 1a2b*3c4d")).toBeUndefined();
  });

  it("rejects a malformed probe line with what is wrong with it", () => {
    const bad: [string, RegExp][] = [
      ["@probe raster touch 0 12.5", /want @probe <stage> <source> <case> <ms> <runs>/],
      ["@probe raster touch 0 12.5 1 extra", /want @probe <stage>/],
      ["@probe raster touch 0 12 1", /ms '12' is not a number with one decimal/],
      ["@probe raster touch 0 -1.0 1", /ms '-1.0'/],
      ["@probe raster touch x 1.0 1", /case 'x'/],
      ["@probe raster touch 0 1.0 0", /at least 1 run/],
      ["@probe raster touch 0 n/a 0", /only native stages may be n\/a/],
      ["@probe native-bits touch 0 n/a 4", /n\/a stage has 0 runs/],
      ["@probe rasterize touch 0 1.0 1", /unknown touch stage 'rasterize'/],
      ["@probe preprocess touch 0 1.0 1", /unknown touch stage 'preprocess'/],
      ["@probe raster pen 0 1.0 1", /unknown source 'pen'/],
      ["@probe start native 191e9cb", /not 8 hex digits/],
      ["@probe start maybe 191e9cb9", /neither native nor bytecode-only/],
      ["@probe done 12.5", /want @probe done <whole ms>/],
      ["@probex raster touch 0 1.0 1", /first word must be @probe/],
    ];
    for (const [line, why] of bad) {
      expect(() => parseProbeLine(line), line).toThrow(ProbeFormatError);
      expect(() => parseProbeLine(line), line).toThrow(why);
    }
    expect(new ProbeFormatError("x")).toBeInstanceOf(UserError);
  });

  it("reads a whole run, and rejects one that is incomplete or out of order", () => {
    const run = parseProbeLog(["noise", ...probeLines("0123abcd", true), "more noise"].join("\n"));
    expect(run).toMatchObject({ native: true, model: "0123abcd", probeMs: 1234 });
    expect(run.stages).toHaveLength(2 * (STAGES.touch.length + STAGES.camera.length));
    const lines = probeLines("0123abcd", false);
    const broken: [string[], RegExp][] = [
      [lines.slice(0, -1), /ends without @probe done/],
      [lines.slice(1), /before @probe start/],
      [[lines[0], ...lines], /a second @probe start/],
      [[...lines, lines[1]], /after @probe done/],
      [[...lines.slice(0, 3), lines[2], ...lines.slice(3)], /twice/],
      [lines.filter((l) => !l.includes(" log camera 1 ")), /camera case 1 lacks stage log/],
      [lines.map((l) => l.replace("bytecode-only", "native")), /n\/a although the probe started native/],
      [probeLines("0123abcd", true).map((l) => l.replace("start native", "start bytecode-only")), /timed although the probe started bytecode-only/],
      [[], /no @probe start/],
    ];
    for (const [text, why] of broken) expect(() => parseProbeLog(text.join("\n")), String(why)).toThrow(why);
    const reader = new ProbeReader();
    for (const l of lines.slice(0, -1)) reader.push(l);
    expect(reader.done).toBe(false);
    reader.push(lines[lines.length - 1]);
    expect(reader.done).toBe(true);
  });

  it("sums exactly the stages of each board path, n/a making the sum null", () => {
    const native = parseProbeLog(probeLines("0123abcd", true).join("\n"));
    const t = boardTotals(native.stages);
    const at = (stage: string, source: "touch" | "camera", k: number) =>
      native.stages.find((s) => s.stage === stage && s.source === source && s.case === k)!.ms!;
    expect(t.touch.native.cases[1].ms).toBeCloseTo(
      at("encode", "touch", 1) + at("native-strokes", "touch", 1) + at("format", "touch", 1) + at("log", "touch", 1),
      6,
    );
    expect(t.camera.bytecode.stages).toEqual(["preprocess", "pack", "bytecode-scores", "format", "log"]);
    const none = boardTotals(parseProbeLog(probeLines("0123abcd", false).join("\n")).stages);
    expect(none.touch.native).toMatchObject({
      meanMs: null,
      cases: [
        { case: 0, ms: null },
        { case: 1, ms: null },
      ],
    });
    expect(none.camera.bytecode.meanMs).not.toBeNull();
  });
});

describe("bnn bench stages", () => {
  it("--json: every stage of both sources, native stages timed only with the classifier, totals the sums of their stages; nothing left running", async () => {
    const r = await bnn(["bench", "stages", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]) as { bench: string; runs: Run[] };
    // docs/json.md: camelCase keys (the totals are keyed by source and backend names, which are)
    const keys = (v: unknown): string[] =>
      v && typeof v === "object" ? Object.entries(v).flatMap(([k, x]) => [...(Array.isArray(v) ? [] : [k]), ...keys(x)]) : [];
    expect(keys(out).filter((k) => !/^[a-z][a-zA-Z0-9]*$/.test(k))).toEqual([]);
    expect(out.bench).toBe("stages");
    expect(out.runs.map((x) => x.backend)).toEqual(["native", "bytecode"]);
    for (const run of out.runs) {
      expect(run.model).toBe(id32("default"));
      for (const source of SOURCES) {
        const cases = [...new Set(run.stages.filter((s) => s.source === source).map((s) => s.case))];
        expect(cases.length).toBeGreaterThan(0);
        for (const stage of STAGES[source]) {
          for (const k of cases) {
            const f = run.stages.find((s) => s.source === source && s.stage === stage && s.case === k);
            expect(f, `${run.backend} ${stage} ${source} ${k}`).toBeDefined();
            if (isNativeStage(stage) && run.backend === "bytecode") expect(f!.ms).toBeNull();
            else {
              expect(typeof f!.ms).toBe("number");
              expect(f!.runs).toBeGreaterThan(0);
            }
          }
        }
        for (const backend of BACKENDS) {
          const total = run.totals[source][backend];
          expect(total.stages).toEqual(BOARD_PATHS[source][backend]);
          expect(total.cases.map((c) => c.case).sort()).toEqual(cases.sort());
          if (backend === "native" && run.backend === "bytecode") {
            expect(total.meanMs).toBeNull();
            expect(total.cases.every((c) => c.ms === null)).toBe(true);
            continue;
          }
          for (const c of total.cases) {
            const sum = total.stages.reduce((a, stage) => a + run.stages.find((s) => s.source === source && s.stage === stage && s.case === c.case)!.ms!, 0);
            expect(c.ms).toBeCloseTo(sum, 6);
          }
          expect(total.meanMs).toBeCloseTo(total.cases.reduce((a, c) => a + c.ms!, 0) / total.cases.length, 2);
        }
      }
    }
    expect(r.stderr).toMatch(/^bench stages: the native run/m);
    await expectNothingLeft(r.stderr, 3); // native: classifier + VM; bytecode: VM
  });

  it("rejects options that do not apply, and bad values, in one line", async () => {
    expectOneLineError(await bnn(["bench", "stages", "--backend", "wasm"]), 2, /--backend must be one of native, bytecode, both; got 'wasm'/);
    expectOneLineError(await bnn(["bench", "sim", "--backend", "native"]), 2, /--backend only applies to bench stages/);
    expectOneLineError(await bnn(["bench", "stages", "--model", "large"]), 2, /--model only applies to bench popcount, c and wasm/);
  });

  it("stops the classifier and the VM and frees its port on Ctrl-C", async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, "bench", "stages", "--backend", "native"], { stdio: ["ignore", "pipe", "pipe"] });
      let err = "";
      let sent = false;
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        err += d;
        if (!sent && /in the DeviceScript VM, pid \d+\n/.test(err)) sent = child.kill("SIGINT");
      });
      child.on("close", (c) => resolve({ code: c, stderr: err }));
    });
    expect(code).toBe(130);
    expect(stderr.trim().split("\n").pop()).toBe("bnn: interrupted");
    await expectNothingLeft(stderr, 2);
  });

  it("a probe that throws in the VM fails in one line, and leaves nothing running", async () => {
    const program = join(scratchDir("probe"), "throws.ts");
    writeFileSync(
      program,
      [
        'import * as ds from "@devicescript/core"',
        'console.log("@probe start bytecode-only 0123abcd")',
        "await ds.sleep(10)",
        "const a: any = undefined",
        "console.log(a.stage.ms)",
        'console.log("@probe done 10")',
        "",
      ].join("\n"),
    );
    let progress = "";
    const failure = await runProbe({ native: false, program, progress: (t) => (progress += t + "\n") }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UserError);
    const message = (failure as UserError).message;
    expect(message.split("\n")).toHaveLength(1);
    expect(message).toMatch(/failed in the VM: TypeError: getting field 'stage' of undefined at .*throws\.ts:5/);
    await expectNothingLeft(progress, 1);
  });
});
