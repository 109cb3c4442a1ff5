/**
 * Every --json output follows docs/json.md: camelCase keys (letters and digits), no NaN or
 * Infinity (JSON has neither: they would print as null where a number is expected), one object
 * (or JSON lines) on stdout and nothing else.
 */
import { describe, expect, it } from "vitest";
import { formatResult, scoreFields } from "../src/shared/stream-format.ts";
import { bnn } from "./run-bnn.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const KEY = /^[a-z][a-zA-Z0-9]*$/;

/** Keys that break the scheme, as paths. */
function badKeys(v: unknown, path = "$"): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => badKeys(x, `${path}[${i}]`));
  if (v && typeof v === "object") {
    return Object.entries(v).flatMap(([k, x]) => {
      // maps keyed by a name (latency per backend) may use the name as it is
      const keyOk = KEY.test(k) || path.endsWith(".latency");
      return [...(keyOk ? [] : [`${path}.${k}`]), ...badKeys(x, `${path}.${k}`)];
    });
  }
  return [];
}

function jsonLines(stdout: string): unknown[] {
  return stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

describe("--json follows one naming scheme", () => {
  const commands: [string, string[]][] = [
    ["eval", ["eval", "--json"]],
    ["verify", ["verify", "--backends", "host-gcc,wasm32-committed", "--images", "20", "--json"]],
    ["bench wasm", ["bench", "wasm", "--json"]],
    ["regen --check", ["regen", "--check", "--json"]],
    ["report", ["report", "--images", "2", "--json"]],
    ["crossval", ["crossval", "--preset", "tiny", "--pen", "0.2", "--folds", "2", "--epochs", "1", "--limit", "1000", "--json"]],
  ];
  it.each(commands)("%s", async (_name, args) => {
    const r = await bnn(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\bNaN\b|Infinity/);
    for (const v of jsonLines(r.stdout)) expect(badKeys(v)).toEqual([]);
  });

  it("classify --json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bnn-json-classify-"));
    try {
      const file = join(dir, "s.jsonl");
      const one = (label: number | null, strokes: number[][][]) => JSON.stringify({ width: 240, height: 240, strokes, label });
      writeFileSync(
        file,
        [
          one(1, [
            [
              [120, 30],
              [121, 210],
            ],
          ]),
          one(null, [[[5, 5]]]),
          one(7, []),
        ].join("\n") + "\n",
      );
      const r = await bnn(["classify", "--strokes", file, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
      const out = jsonLines(r.stdout);
      expect(out).toHaveLength(4);
      for (const v of out) expect(badKeys(v)).toEqual([]);
      expect(r.stdout).not.toMatch(/\bNaN\b|Infinity/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("monitor --json", async () => {
    const line = formatResult({
      seq: 3,
      source: "samples",
      label: 1,
      inferenceUs: 40,
      totalMs: 2,
      backend: "native",
      model: "191e9cb9",
      noDigit: "",
      ...scoreFields([0, 9, 1, 2, 3, 4, 5, 6, 7, 8], 0),
    });
    const r = await bnn(["monitor", "--stdin", "--json"], {}, { input: line + "\n" });
    expect(r.code, r.stderr).toBe(0);
    const out = jsonLines(r.stdout);
    expect(out).toHaveLength(2);
    for (const v of out) expect(badKeys(v)).toEqual([]);
    expect((out[1] as { summary: { throughput: unknown; accuracy: number } }).summary).toMatchObject({ throughput: null, accuracy: 1 });
  });
});
