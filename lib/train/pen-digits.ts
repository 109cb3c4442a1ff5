/**
 * Real pen digits for training and for measuring on people: the UCI pen digits' 30 training
 * writers (data/pendigits/, CC BY 4.0), read through the UNIPEN reader onto the 240x240 panel,
 * each digit at its writer's own size and place. Writers, not digits, are the unit: a writer's
 * digits look alike, so validation and cross-validation hold out whole writers.
 */
import { join } from "node:path";
import { ROOT } from "../paths.ts";
import { SeededRng } from "../rng.ts";
import { compareWriters, type StrokeSample } from "../strokes/format.ts";
import { DEFAULT_TABLET_BOX, readUnipenFile } from "../strokes/unipen.ts";
import { DEFAULT_PANEL_SIZE } from "../strokes/from-image.ts";
import { reshapeStrokes, strokeBounds, type StrokeAugment } from "./stroke-render.ts";

/** The vendored UNIPEN file (data/pendigits/README.md). */
export const PEN_DIGITS_PATH = "data/pendigits/pendigits-orig.tra.gz";

let cache: StrokeSample[] | undefined;

/** The 7,494 pen digits of the 30 writers, on the simulated panel (read once, then shared). */
export function penDigits(): StrokeSample[] {
  cache ??= readUnipenFile(join(ROOT, PEN_DIGITS_PATH), {
    panel: { width: DEFAULT_PANEL_SIZE, height: DEFAULT_PANEL_SIZE },
    box: DEFAULT_TABLET_BOX,
    idPrefix: "pendigits",
  });
  return cache;
}

/** The writers of `samples`, in reading order. */
export function writersOf(samples: readonly StrokeSample[]): string[] {
  return [...new Set(samples.flatMap((s) => (s.writer === undefined ? [] : [s.writer])))].sort(compareWriters);
}

/** `writers` in a seeded order (the same seed, the same order, on every machine). */
function shuffledWriters(writers: readonly string[], seed: number): string[] {
  const order = new SeededRng(seed ^ 0x77a17e55).shuffle(Int32Array.from({ length: writers.length }, (_, i) => i));
  return Array.from(order, (i) => writers[i]);
}

/** `count` writers chosen by `seed` for validation (sorted), and the rest. */
export function writerSplit(writers: readonly string[], count: number, seed: number): { validation: string[]; train: string[] } {
  const order = shuffledWriters(writers, seed);
  return { validation: order.slice(0, count).sort(compareWriters), train: order.slice(count).sort(compareWriters) };
}

/** `k` folds of whole writers, as even as the count allows, chosen by `seed`; each sorted. */
export function writerFolds(writers: readonly string[], k: number, seed: number): string[][] {
  const order = shuffledWriters(writers, seed);
  return Array.from({ length: k }, (_, f) => order.filter((_, i) => i % k === f).sort(compareWriters));
}

/** How a person's digit varies beyond the writers we have: shape (as StrokeAugment), size, place on the panel, pen lifts. */
export interface PenAugment extends StrokeAugment {
  /** The digit's longer side drawn at a uniform fraction of the panel in [minSize, maxSize] (0: left as written). */
  minSize: number;
  maxSize: number;
  /** Chance that one stroke is split in two (the pen lifted mid-stroke). */
  split: number;
  /** Chance that two strokes in a row become one (the pen kept down between them). */
  join: number;
}

export const NO_PEN_AUGMENT: PenAugment = { slant: 0, rotate: 0, aspect: 0, jitter: 0, elastic: 0, minSize: 0, maxSize: 0, split: 0, join: 0 };
/** The shipped recipes' reshaping of pen digits. */
export const PEN_STROKES: PenAugment = { slant: 0.2, rotate: 8, aspect: 0.15, jitter: 1.5, elastic: 0, minSize: 0.3, maxSize: 0.9, split: 0.15, join: 0.15 };

/** A pen digit reshaped by `o` (integer points on the square panel of DEFAULT_PANEL_SIZE). */
export function reshapePen(strokes: number[][], o: PenAugment, rng: SeededRng): number[][] {
  let out = reshapeStrokes(strokes, o, rng);
  if (o.maxSize > 0) out = resize(out, rng.uniform(o.minSize, o.maxSize), rng);
  if (o.split > 0 && rng.next() < o.split) {
    const candidates = out.map((s, i) => (s.length >= 8 ? i : -1)).filter((i) => i >= 0);
    if (candidates.length) {
      const i = candidates[rng.int(candidates.length)];
      const s = out[i];
      const points = s.length / 2;
      const at = 2 + rng.int(points - 3); // both halves keep at least two points
      out = [...out.slice(0, i), s.slice(0, 2 * at), s.slice(2 * at), ...out.slice(i + 1)];
    }
  }
  if (o.join > 0 && out.length > 1 && rng.next() < o.join) {
    const i = rng.int(out.length - 1);
    out = [...out.slice(0, i), [...out[i], ...out[i + 1]], ...out.slice(i + 2)];
  }
  return out;
}

/** The strokes scaled so their longer side is `fraction` of the panel, placed at random on it. */
function resize(strokes: number[][], fraction: number, rng: SeededRng): number[][] {
  const panel = DEFAULT_PANEL_SIZE;
  const box = strokeBounds(strokes);
  if (!box) return strokes;
  const { x0, y0, x1, y1 } = box;
  const scale = (fraction * (panel - 1)) / Math.max(x1 - x0, y1 - y0, 1);
  const w = (x1 - x0) * scale;
  const h = (y1 - y0) * scale;
  const ox = rng.uniform(0, Math.max(0, panel - 1 - w));
  const oy = rng.uniform(0, Math.max(0, panel - 1 - h));
  const clamp = (v: number) => Math.max(0, Math.min(panel - 1, Math.round(v)));
  return strokes.map((s) => {
    const t: number[] = [];
    for (let i = 0; i < s.length; i += 2) t.push(clamp(ox + (s[i] - x0) * scale), clamp(oy + (s[i + 1] - y0) * scale));
    return t;
  });
}
