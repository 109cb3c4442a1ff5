/**
 * The whole MNIST test set, once per shipped model and in one place: each model's 10,000 images
 * go through the XNOR/popcount reference (what metrics.json and the README record), the ±1
 * multiply-accumulate network and the float BatchNorm network it was folded from
 * (tests/support/independent-networks.ts). The three must give the same digit for every image,
 * and the reference the recorded accuracy.
 *
 * The models run in child processes (tests/support/test-set-child.ts), side by side, so this
 * worker's event loop stays free; each is stopped if it makes no progress for two minutes, not
 * after a fixed time (a busy machine takes longer).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MODELS_DIR, shippedModels } from "../lib/paths.ts";
import { runChildWork } from "./support/child-work.ts";
import type { TestSetDigits } from "./support/test-set-child.ts";

const CHILD = new URL("./support/test-set-child.ts", import.meta.url);

/** "image i: reference d, <way> e" for the first (up to 5) images where `got` differs from `expected`. */
function differences(expected: string, got: string, way: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < expected.length && out.length < 5; i++) if (expected[i] !== got[i]) out.push(`image ${i}: reference ${expected[i]}, ${way} ${got[i]}`);
  return out;
}

describe.each(shippedModels())("the whole test set through shipped model '%s'", (name) => {
  const metrics = JSON.parse(readFileSync(join(MODELS_DIR, name, "metrics.json"), "utf8")) as { id: string; testCorrect: number; testAccuracy: number };
  let r: TestSetDigits;
  // no fixed hook timeout: the child's idle timeout is the limit (a test timeout of 0 is none)
  beforeAll(async () => {
    r = JSON.parse(await runChildWork(CHILD, [name])) as TestSetDigits;
  }, 0);

  it("the reference has the recorded test accuracy (metrics.json)", () => {
    expect(r.id).toBe(metrics.id);
    expect(r.total).toBe(10000);
    expect(r.correct).toBe(metrics.testCorrect);
    expect(r.accuracy).toBe(metrics.testAccuracy);
  });

  it("±1 multiply-accumulate (no popcount, no packing) gives the reference's digit on every image", () => {
    expect(r.digits.mac).toHaveLength(10000);
    expect(differences(r.digits.reference, r.digits.mac, "±1 MAC")).toEqual([]);
  });

  it("the float BatchNorm network it was folded from gives the reference's digit on every image", () => {
    expect(r.digits.float).toHaveLength(10000);
    expect(differences(r.digits.reference, r.digits.float, "float")).toEqual([]);
  });
});
