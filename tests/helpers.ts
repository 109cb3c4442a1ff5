/** Helpers the test files share: scratch folders that are removed, random models and inputs. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { encodeRow, modelId, SCORE_LIMIT, validateModel, type Model, type ModelLayer } from "../lib/model/format.ts";
import { lastWordMask, wordsFor } from "../lib/binary.ts";
import { SeededRng } from "../lib/rng.ts";
import { ROOT } from "../lib/paths.ts";
import { run } from "../lib/run.ts";

const scratch: string[] = [];
// registered when a test file imports this module, so it runs after that file's tests
afterAll(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under the system's temporary folder, removed after the test file (also from inside a test). */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bnn-test-${prefix}-`));
  scratch.push(dir);
  return dir;
}

export interface RandomModelShape {
  width?: number;
  height?: number;
  hidden: number[];
  outputs?: number;
}

/**
 * A valid model full of edge cases: rows of every density, thresholds near the middle and at
 * the extremes -n (always on) and n + 1 (never), output scales at the int32 limit.
 */
export function randomModel(seed: number, shape: RandomModelShape | number[]): Model {
  const s = Array.isArray(shape) ? { hidden: shape } : shape;
  const width = s.width ?? 28;
  const height = s.height ?? 28;
  const rng = new SeededRng(seed);
  const sizes = [width * height, ...s.hidden, s.outputs ?? 10];
  const layers: ModelLayer[] = [];
  for (let k = 1; k < sizes.length; k++) {
    const n = sizes[k - 1];
    const m = sizes[k];
    const words = wordsFor(n);
    const rowsText: string[] = [];
    for (let j = 0; j < m; j++) {
      const row = new Uint32Array(words);
      const density = rng.next();
      for (let i = 0; i < n; i++) if (rng.next() < density) row[i >>> 5] |= 1 << (i & 31);
      row[words - 1] &= lastWordMask(n);
      rowsText.push(encodeRow(row, 0, words));
    }
    if (k < sizes.length - 1) {
      const thresholds = Array.from({ length: m }, () => {
        const r = rng.next();
        return r < 0.1 ? -n : r < 0.2 ? n + 1 : Math.round(rng.uniform(-n / 4, n / 4));
      });
      layers.push({ kind: "sign", inputs: n, outputs: m, weights: rowsText, thresholds });
    } else {
      const limit = Math.floor(SCORE_LIMIT / (2 * n)) - 1;
      const scale = Array.from({ length: m }, (_, j) => (j === 0 ? limit : j === 1 ? -limit : Math.round(rng.uniform(-1000, 1000))));
      const offset = Array.from({ length: m }, () => Math.round(rng.uniform(-1e6, 1e6)));
      layers.push({ kind: "score", inputs: n, outputs: m, weights: rowsText, scale, offset, shift: 10 });
    }
  }
  const input = { width, height, threshold: 100 };
  return validateModel({ format: "bnn-mlp", version: 1, name: "random", id: modelId(input, layers), input, layers });
}

/** Packed input records: all -1, all +1, then random densities. */
export function randomInputs(seed: number, count: number, bits = 784): Buffer {
  const rng = new SeededRng(seed);
  const w = wordsFor(bits);
  const words = new Uint32Array(count * w);
  for (let r = 0; r < count; r++) {
    const density = r === 0 ? 0 : r === 1 ? 1 : rng.next();
    for (let i = 0; i < bits; i++) if (rng.next() < density) words[r * w + (i >>> 5)] |= 1 << (i & 31);
  }
  return Buffer.from(words.buffer);
}

/** The repository's tracked files, paths relative to its root. */
export async function trackedFiles(): Promise<string[]> {
  return (await run("git", ["ls-files"], { cwd: ROOT })).stdout.toString("utf8").trim().split("\n");
}
