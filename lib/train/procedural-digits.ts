/**
 * Procedural pen digits for training: letterforms MNIST has few of (a 6 with a large round loop,
 * a 1 with a flag and a base, a 9 with a straight stem, a 7 with a crossbar, an open 4), drawn
 * from hand-written templates of control points, each point moved at random, smoothed into
 * curves (Catmull-Rom) and sampled along the path like a finger's touch samples. No font and no
 * test set is read: the templates are a few numbers per digit written here.
 *
 * A template is a list of strokes; a stroke is a list of pieces joined at corners; a piece is a
 * list of control points in a unit box (x right, y down, 0..1), smooth between its ends.
 */
import type { SeededRng } from "../rng.ts";
import { DEFAULT_PANEL_SIZE } from "../strokes/from-image.ts";

type Pt = [number, number];
type Template = Pt[][][];

const P = (...xy: number[]): Pt[] => {
  const out: Pt[] = [];
  for (let i = 0; i < xy.length; i += 2) out.push([xy[i], xy[i + 1]]);
  return out;
};

/** Letterform variants of each digit. */
export const TEMPLATES: Template[][] = [
  // 0: an oval, started at the top, either way round
  [[[P(0.5, 0, 0.15, 0.2, 0.1, 0.6, 0.35, 1, 0.7, 0.95, 0.9, 0.55, 0.8, 0.15, 0.5, 0)]]],
  // 1: a stem; with a flag; with a flag and a base
  [[[P(0.5, 0, 0.5, 1)]], [[P(0.2, 0.25, 0.5, 0), P(0.5, 0, 0.5, 1)]], [[P(0.2, 0.25, 0.5, 0), P(0.5, 0, 0.5, 1)], [P(0.2, 1, 0.8, 1)]]],
  // 2: a hook, a diagonal and a base; with a round turn into the base
  [
    [[P(0.1, 0.25, 0.35, 0.02, 0.7, 0.05, 0.85, 0.3, 0.6, 0.6, 0.1, 1), P(0.1, 1, 0.9, 1)]],
    [[P(0.15, 0.2, 0.45, 0, 0.8, 0.15, 0.75, 0.45, 0.3, 0.8, 0.15, 0.95, 0.35, 0.85, 0.9, 1)]],
  ],
  // 3: two bowls, round or with a flat top
  [
    [[P(0.15, 0.15, 0.5, 0, 0.8, 0.2, 0.45, 0.47), P(0.45, 0.47, 0.85, 0.7, 0.55, 1, 0.1, 0.88)]],
    [[P(0.15, 0, 0.85, 0), P(0.85, 0, 0.45, 0.42), P(0.45, 0.42, 0.85, 0.65, 0.6, 1, 0.1, 0.9)]],
  ],
  // 4: open (two strokes), closed (one stroke and a stem)
  [
    [[P(0.2, 0, 0.1, 0.62), P(0.1, 0.62, 0.9, 0.62)], [P(0.68, 0.1, 0.68, 1)]],
    [[P(0.65, 0, 0.08, 0.68), P(0.08, 0.68, 0.92, 0.68)], [P(0.65, 0, 0.65, 1)]],
  ],
  // 5: a bar, a stem and a bowl, in one stroke or with the bar last
  [
    [[P(0.85, 0, 0.25, 0), P(0.25, 0, 0.2, 0.45), P(0.2, 0.45, 0.55, 0.36, 0.85, 0.62, 0.65, 0.95, 0.15, 0.9)]],
    [[P(0.25, 0, 0.2, 0.45), P(0.2, 0.45, 0.55, 0.36, 0.85, 0.62, 0.65, 0.95, 0.15, 0.9)], [P(0.25, 0, 0.85, 0)]],
  ],
  // 6: a large round loop; a small loop under a long stem
  [
    [[P(0.75, 0.02, 0.35, 0.15, 0.12, 0.55, 0.3, 0.97, 0.72, 0.95, 0.88, 0.68, 0.55, 0.48, 0.18, 0.65)]],
    [[P(0.7, 0, 0.35, 0.3, 0.2, 0.75, 0.45, 1, 0.78, 0.85, 0.6, 0.62, 0.25, 0.75)]],
  ],
  // 7: a bar and a stem; with a crossbar; with a curved stem
  [
    [[P(0.1, 0, 0.9, 0), P(0.9, 0, 0.4, 1)]],
    [[P(0.1, 0, 0.9, 0), P(0.9, 0, 0.4, 1)], [P(0.35, 0.5, 0.85, 0.5)]],
    [[P(0.1, 0.05, 0.9, 0), P(0.9, 0, 0.6, 0.45, 0.45, 1)]],
  ],
  // 8: one stroke crossing in the middle; two loops
  [
    [[P(0.55, 0.47, 0.2, 0.25, 0.5, 0, 0.82, 0.22, 0.5, 0.5, 0.12, 0.76, 0.5, 1, 0.88, 0.76, 0.55, 0.47)]],
    [[P(0.5, 0, 0.2, 0.22, 0.5, 0.45, 0.8, 0.22, 0.5, 0)], [P(0.5, 0.45, 0.12, 0.72, 0.5, 1, 0.88, 0.72, 0.5, 0.45)]],
  ],
  // 9: a loop and a straight stem; a loop and a curved tail
  [
    [[P(0.82, 0.3, 0.5, 0.5, 0.18, 0.3, 0.45, 0, 0.82, 0.2), P(0.82, 0.2, 0.78, 1)]],
    [[P(0.82, 0.3, 0.5, 0.5, 0.18, 0.3, 0.45, 0, 0.82, 0.2), P(0.82, 0.2, 0.75, 0.75, 0.35, 1)]],
  ],
];

/** Catmull-Rom through pts (ends repeated), sampled every `step` units of the unit box. */
function smooth(pts: Pt[], step: number): Pt[] {
  if (pts.length < 3) {
    const out: Pt[] = [];
    const [a, b] = [pts[0], pts[pts.length - 1]];
    const n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / step));
    for (let i = 0; i <= n; i++) out.push([a[0] + ((b[0] - a[0]) * i) / n, a[1] + ((b[1] - a[1]) * i) / n]);
    return out;
  }
  const out: Pt[] = [pts[0]];
  for (let i = 0; i < pts.length - 1; i++) {
    const p0 = pts[Math.max(0, i - 1)],
      p1 = pts[i],
      p2 = pts[i + 1],
      p3 = pts[Math.min(pts.length - 1, i + 2)];
    const n = Math.max(1, Math.ceil(Math.hypot(p2[0] - p1[0], p2[1] - p1[1]) / step));
    for (let k = 1; k <= n; k++) {
      const t = k / n,
        t2 = t * t,
        t3 = t2 * t;
      const c = (a: number, b: number, c2: number, d: number) =>
        0.5 * (2 * b + (-a + c2) * t + (2 * a - 5 * b + 4 * c2 - d) * t2 + (-a + 3 * b - 3 * c2 + d) * t3);
      out.push([c(p0[0], p1[0], p2[0], p3[0]), c(p0[1], p1[1], p2[1], p3[1])]);
    }
  }
  return out;
}

/** One procedural digit `label` as strokes on the DEFAULT_PANEL_SIZE panel (flat integer lists). */
export function proceduralDigit(label: number, rng: SeededRng): number[][] {
  const variants = TEMPLATES[label];
  const template = variants[rng.int(variants.length)];
  const wobble = 0.06;
  const width = label === 1 ? rng.uniform(0.1, 0.5) : rng.uniform(0.5, 0.95);
  const height = rng.uniform(0.35, 0.8) * DEFAULT_PANEL_SIZE;
  const slant = rng.uniform(-0.25, 0.25);
  const x0 = rng.uniform(0.1, 0.9 - (width * height) / DEFAULT_PANEL_SIZE) * DEFAULT_PANEL_SIZE;
  const y0 = rng.uniform(0.05, 0.95 - height / DEFAULT_PANEL_SIZE) * DEFAULT_PANEL_SIZE;
  const step = rng.uniform(0.02, 0.06);
  const clamp = (v: number) => Math.max(0, Math.min(DEFAULT_PANEL_SIZE - 1, Math.round(v)));
  return template.map((stroke) => {
    // corners are shared by two pieces: move each control point once
    const moved = new Map<string, Pt>();
    const move = (p: Pt): Pt => {
      const key = `${p[0]},${p[1]}`;
      if (!moved.has(key)) moved.set(key, [p[0] + rng.normal() * wobble, p[1] + rng.normal() * wobble]);
      return moved.get(key)!;
    };
    const pts: Pt[] = [];
    stroke.forEach((piece, k) => {
      const path = smooth(piece.map(move), step);
      pts.push(...(k === 0 ? path : path.slice(1)));
    });
    if (rng.next() < 0.2) pts.reverse();
    const flat: number[] = [];
    for (const [u, v] of pts) {
      const y = y0 + v * height;
      const x = x0 + u * width * height + slant * (v - 0.5) * height;
      flat.push(clamp(x), clamp(y));
    }
    return flat;
  });
}
