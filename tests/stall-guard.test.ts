/**
 * The event-loop stall guard (tests/support/stall-guard.ts) is wired into every test file of the
 * suite, and it can fail: vitest run on fixture files with the same set-up file fails the file
 * that computes in one synchronous stretch and the one that sleeps in a synchronous call, and
 * passes the file that does the same work in slices with the event loop let run between them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import config from "../vitest.config.ts";
import { run } from "../lib/run.ts";
import { ROOT } from "../lib/paths.ts";
import { scratchDir } from "./helpers.ts";

const VITEST = join(ROOT, "node_modules", "vitest", "vitest.mjs");
const FIXTURES = join(ROOT, "tests", "fixtures", "stall-guard");

describe("the event-loop stall guard", () => {
  it("is the set-up file of every test file of the suite", () => {
    expect(config.test?.setupFiles).toEqual(["tests/support/stall-guard.ts"]);
    // one project: no project of its own that could leave the set-up file out
    expect(config.test?.projects).toBeUndefined();
    expect(config.test?.include).toEqual(["tests/**/*.test.ts"]);
  });

  it("fails a file that blocks its event loop (computing, or asleep in a synchronous call), passes one that yields", async () => {
    const dir = scratchDir("stall-guard");
    const results = join(dir, "results.json");
    const report = join(dir, "stalls.jsonl");
    // the vitest worker's own variables would make the nested run think it is a worker
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST") && k !== "NODE_OPTIONS"));
    const limit = 300;
    const r = await run(process.execPath, [VITEST, "run", "--config", join(FIXTURES, "vitest.config.ts"), "--reporter=json", `--outputFile=${results}`], {
      cwd: FIXTURES,
      env: { ...env, BNN_STALL_LIMIT_MS: String(limit), BNN_STALL_REPORT: report, BURN_MS: String(limit), CI: "1" },
      allowFail: true,
    });
    expect(r.code, r.stderr).toBe(1);
    const json = JSON.parse(readFileSync(results, "utf8")) as { testResults: { name: string; status: string; message: string }[] };
    const byFile = Object.fromEntries(json.testResults.map((t) => [t.name.replace(/.*\//, ""), t]));
    expect(Object.keys(byFile).sort()).toEqual(["blocks.fixture.ts", "sleeps.fixture.ts", "yields.fixture.ts"]);
    expect(byFile["blocks.fixture.ts"].status).toBe("failed");
    expect(byFile["blocks.fixture.ts"].message).toMatch(
      new RegExp(`event loop blocked for \\d+ ms \\(limit ${limit} ms;.*in 'computes in one synchronous stretch'`),
    );
    expect(byFile["sleeps.fixture.ts"].status).toBe("failed");
    expect(byFile["sleeps.fixture.ts"].message).toMatch(/event loop blocked for \d+ ms .*in 'sleeps in a synchronous call'/);
    expect(byFile["yields.fixture.ts"].status).toBe("passed");
    // what each file was charged: the whole stretch (3 x the limit, less a timer tick) for the two
    // blocking ones, on a core for the one that computes, asleep for the one that sleeps
    const stalls = Object.fromEntries(
      readFileSync(report, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { file: string; blockedMs: number; cpuMs: number })
        .map((s) => [s.file.replace(/.*\//, ""), s]),
    );
    expect(stalls["blocks.fixture.ts"].blockedMs).toBeGreaterThan(2.5 * limit);
    expect(stalls["blocks.fixture.ts"].cpuMs).toBeGreaterThan(2.5 * limit);
    expect(stalls["sleeps.fixture.ts"].blockedMs).toBeGreaterThan(2.5 * limit);
    expect(stalls["sleeps.fixture.ts"].cpuMs).toBeLessThan(limit);
    expect(stalls["yields.fixture.ts"].blockedMs).toBeLessThan(limit);
  });
});
