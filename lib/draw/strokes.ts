/**
 * A drawing from the page (lib/draw/page.html) as the program will hold it. The page sends
 * strokes as the stroke files have them, `[[[x, y], ...], ...]` in panel coordinates (origin top
 * left, y down); here they become integer points on the panel, collected the way the program
 * collects the simulated panel's samples (src/shared/touch-samples.ts: a repeated point is
 * dropped, at most MAX_POINTS points), in the rasterizer's flat form `[x0, y0, x1, y1, ...]`. The
 * simulated panel draws exactly these points, so the host's reference, the saved sample and the
 * program's digit are the same strokes.
 */
import { addSample, newStrokeSet, takeDigit } from "../../src/shared/touch-samples.ts";

export type Point = [number, number];

/** A drawing the page may send: more would be a scribble far beyond the program's MAX_POINTS. */
export const MAX_PAGE_STROKES = 200;
export const MAX_PAGE_POINTS = 20_000;

/**
 * The strokes of `value` (the page's JSON), rounded and clamped to a `width` x `height` panel and
 * collected as the program does; throws an Error saying what is wrong with them.
 */
export function pageStrokes(value: unknown, width: number, height: number): number[][] {
  if (!Array.isArray(value)) throw new Error("strokes must be a list of strokes");
  if (value.length > MAX_PAGE_STROKES) throw new Error(`more than ${MAX_PAGE_STROKES} strokes`);
  let total = 0;
  const set = newStrokeSet();
  let t = 0;
  for (const [s, stroke] of value.entries()) {
    if (!Array.isArray(stroke) || stroke.length === 0) throw new Error(`stroke ${s} is not a list of points`);
    total += stroke.length;
    if (total > MAX_PAGE_POINTS) throw new Error(`more than ${MAX_PAGE_POINTS} points`);
    let last: Point | undefined;
    for (const p of stroke) {
      if (!Array.isArray(p) || p.length !== 2 || !p.every((c) => typeof c === "number" && Number.isFinite(c)))
        throw new Error(`stroke ${s} has a point that is not [x, y]`);
      last = [clamp(Math.round(p[0]), width - 1), clamp(Math.round(p[1]), height - 1)];
      addSample(set, last[0], last[1], true, t++); // 1 ms apart: never a stroke gap
    }
    addSample(set, last![0], last![1], false, t++);
  }
  const strokes = takeDigit(set);
  if (strokes.length === 0) throw new Error("nothing drawn");
  return strokes;
}

function clamp(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}

/** Flat strokes as lists of [x, y] points (the stroke files' form). */
export function toPoints(strokes: number[][]): Point[][] {
  return strokes.map((st) => Array.from({ length: st.length / 2 }, (_, i) => [st[2 * i], st[2 * i + 1]] as Point));
}
