/**
 * A stroke-drawn digit test set of our own (data/strokes/hershey.jsonl, format: docs/strokes.md),
 * made from vector fonts, not from MNIST: the product trains on MNIST, this set only measures it
 * (never train or select models on it).
 *
 * How a sample is made, a pure function of the seed (`bnn regen` writes the set and its sample
 * sheet docs/strokes-hershey.svg):
 *   1. The glyph of the digit in one of the single-line fonts of the npm package `hersheytext`
 *      (FONTS below: the Hershey fonts, of public domain origin, and the EMS engraving fonts,
 *      SIL OFL): SVG path data of M/L commands, each M starting a stroke. Hershey Serif Med and
 *      Serif Med Italic draw a digit with two parallel lines; `singleLine` keeps one of them, so
 *      every sample is drawn as a finger would, one line per stroke.
 *   2. A random pose: digit height 35-85 % of the 240 x 240 panel, width x 0.75-1.25, slant
 *      (shear) +-15 degrees, rotation +-8 degrees, placed anywhere that keeps it on the panel.
 *   3. Resampled along the path like a touch controller's reports: a point every 3-8 panel units
 *      (a random pitch per sample, each step +-25 %), more widely on long digits so a digit has
 *      about MAX_POINTS points at most (this keeps the file small); corners sharper than 40
 *      degrees are kept.
 *   4. Finger noise: each point moved by up to +-1.5 units, rounded to integers; in 15 % of the
 *      samples the pen lifts in the middle of the longest stroke (two strokes), in 15 % one
 *      stroke is drawn in the reverse direction.
 * Classes are balanced: PER_CLASS samples of each digit, the fonts taken in turn; sample ids are
 * `hershey-<font>-<digit>-<k>` (k counts the samples of that font and digit).
 */
import { createRequire } from "node:module";
import { SeededRng } from "../rng.ts";

/** The repository paths `bnn regen` writes. */
export const HERSHEY_SET_PATH = "data/strokes/hershey.jsonl";
export const HERSHEY_SHEET_PATH = "docs/strokes-hershey.svg";
export const HERSHEY_SET_SEED = 1;
export const PER_CLASS = 100;
/** The panel of every sample. */
export const PANEL_SIZE = 240;
/** About the largest number of points of one sample (corners can add a few). */
export const MAX_POINTS = 64;

export type Point = [number, number];

/** One sample of the stroke file format (docs/strokes.md). */
export interface StrokeSample {
  id: string;
  label: number;
  width: number;
  height: number;
  strokes: Point[][];
}

interface Font {
  /** The font's key in hersheytext's SVG fonts. */
  key: string;
  /** Its name in sample ids. */
  id: string;
  /** Drawn with double or triple lines: keep one (`singleLine`). */
  multiLine: boolean;
}

/**
 * The fonts whose digits are kept (looked at on a sheet of every font's digits): the three
 * Hershey digit designs (Roman simplex, Roman complex and Italic complex, the complex ones taken
 * as one line) and eight EMS single-line fonts. Left out: Hershey Sans Med (its one line is the
 * Sans 1 glyph), Serif Bold and Serif Bold Italic (the Serif Med designs drawn with three lines,
 * too far apart to take one cleanly), Script 1 / Script Med (their digits are Serif Med Italic's),
 * Gothic English (blackletter outlines), EMS Osmotron (square "LCD" digits, a slashed 0), and
 * hersheytext's JSON fonts, whose digits are these same Hershey glyphs (futural = sans_1,
 * futuram = sans_med, timesr = serif_med, timesi and the script fonts = serif_med_italic, ...)
 * or are not digits (astrology, symbolic, markers; japanese: kanji numerals).
 */
export const FONTS: readonly Font[] = [
  { key: "hershey_sans_1", id: "sans_1", multiLine: false },
  { key: "hershey_serif_med", id: "serif_med", multiLine: true },
  { key: "hershey_serif_med_italic", id: "serif_med_italic", multiLine: true },
  { key: "ems_allure", id: "ems_allure", multiLine: false },
  { key: "ems_elfin", id: "ems_elfin", multiLine: false },
  { key: "ems_felix", id: "ems_felix", multiLine: false },
  { key: "ems_nixish", id: "ems_nixish", multiLine: false },
  { key: "ems_nixish_italic", id: "ems_nixish_italic", multiLine: false },
  { key: "ems_readability", id: "ems_readability", multiLine: false },
  { key: "ems_readability_italic", id: "ems_readability_italic", multiLine: false },
  { key: "ems_tech", id: "ems_tech", multiLine: false },
];

interface HersheyText {
  getFontData(name: string): { getChar(c: string): { d: string | null } | null | undefined };
}

/** Polylines of an SVG path of absolute M/L commands (a pair after M or L is a line to it), y down. */
export function pathStrokes(d: string): Point[][] {
  const strokes: Point[][] = [];
  const tokens = d.match(/[A-Za-z]|-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/g) ?? [];
  for (let i = 0; i < tokens.length; ) {
    const t = tokens[i];
    if (t === "M") {
      strokes.push([]);
      i++;
    } else if (t === "L") i++;
    else if (/[A-Za-z]/.test(t)) throw new Error(`path command ${t} is not M or L`);
    else {
      strokes[strokes.length - 1].push([Number(t), -Number(tokens[i + 1])]);
      i += 2;
    }
  }
  return strokes.filter((s) => s.length > 0);
}

function length(s: Point[]): number {
  let l = 0;
  for (let i = 1; i < s.length; i++) l += Math.hypot(s[i][0] - s[i - 1][0], s[i][1] - s[i - 1][1]);
  return l;
}

function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const l2 = dx * dx + dy * dy;
  const t = l2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2));
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

/**
 * One line of a glyph drawn with parallel lines: strokes are taken longest first, and a stroke is
 * dropped when most of it (NEAR_SHARE of points every 1 % of the glyph's height) runs within
 * NEAR (of the height) of strokes already taken: it is a second line beside one of them.
 */
export function singleLine(strokes: Point[][]): Point[][] {
  const NEAR = 0.075;
  const NEAR_SHARE = 0.6;
  const ys = strokes.flat().map((p) => p[1]);
  const height = Math.max(...ys) - Math.min(...ys);
  const order = strokes.map((_, i) => i).sort((a, b) => length(strokes[b]) - length(strokes[a]) || a - b);
  const kept: number[] = [];
  for (const i of order) {
    const probe = resample(strokes[i], () => 0.01 * height);
    const near = probe.filter((p) =>
      kept.some((k) => strokes[k].some((_, j) => j > 0 && distanceToSegment(p, strokes[k][j - 1], strokes[k][j]) <= NEAR * height)),
    );
    if (kept.length === 0 || near.length < NEAR_SHARE * probe.length) kept.push(i);
  }
  return kept.sort((a, b) => a - b).map((i) => strokes[i]);
}

/** The strokes of each font's digits 0-9 (font units, y down), one line each. */
export function fontDigits(): { font: Font; digits: Point[][][] }[] {
  const require = createRequire(import.meta.url);
  const hershey = require("hersheytext") as HersheyText;
  return FONTS.map((font) => {
    const data = hershey.getFontData(font.key);
    const digits = [];
    for (let d = 0; d < 10; d++) {
      const path = data.getChar(String(d))?.d;
      if (!path) throw new Error(`hersheytext font ${font.key} has no digit ${d}`);
      const strokes = pathStrokes(path);
      digits.push(font.multiLine ? singleLine(strokes) : strokes);
    }
    return { font, digits };
  });
}

/** Points along `s` every `step()` units of its length, first and last point included, corners sharper than 40 degrees kept. */
function resample(s: Point[], step: () => number): Point[] {
  const out: Point[] = [s[0]];
  let next = step();
  let gone = 0; // length walked since the last point put out
  for (let i = 1; i < s.length; i++) {
    const [ax, ay] = s[i - 1];
    const [bx, by] = s[i];
    const seg = Math.hypot(bx - ax, by - ay);
    if (seg === 0) continue;
    let at = 0;
    while (gone + (seg - at) >= next) {
      at += next - gone;
      out.push([ax + ((bx - ax) * at) / seg, ay + ((by - ay) * at) / seg]);
      gone = 0;
      next = step();
    }
    gone += seg - at;
    const last = i === s.length - 1;
    if (!last && gone > 0) {
      const [cx, cy] = s[i + 1];
      const turn = Math.abs(Math.atan2((bx - ax) * (cy - by) - (by - ay) * (cx - bx), (bx - ax) * (cx - bx) + (by - ay) * (cy - by)));
      if (turn > (40 * Math.PI) / 180) {
        out.push([bx, by]);
        gone = 0;
        next = step();
      }
    }
    if (last && gone > 0) out.push([bx, by]);
  }
  return out;
}

const DEG = Math.PI / 180;

/** One sample of `glyph` (strokes in font units, y down) in a random pose, drawn as a finger would. */
export function drawGlyph(glyph: Point[][], rng: SeededRng): Point[][] {
  const pts = glyph.flat();
  const minX = Math.min(...pts.map((p) => p[0]));
  const maxX = Math.max(...pts.map((p) => p[0]));
  const minY = Math.min(...pts.map((p) => p[1]));
  const maxY = Math.max(...pts.map((p) => p[1]));
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  // 2. the pose
  const scale = (rng.uniform(0.35, 0.85) * PANEL_SIZE) / (maxY - minY);
  const aspect = rng.uniform(0.75, 1.25);
  const shear = Math.tan(rng.uniform(-15, 15) * DEG);
  const turn = rng.uniform(-8, 8) * DEG;
  const cos = Math.cos(turn);
  const sin = Math.sin(turn);
  let strokes = glyph.map((s) =>
    s.map(([x, y]): Point => {
      const sy = (y - cy) * scale;
      const sx = (x - cx) * scale * aspect - sy * shear; // positive shear leans the top right
      return [sx * cos - sy * sin, sx * sin + sy * cos];
    }),
  );
  // fit (shear and rotation can widen a big digit past the panel), then place
  const margin = 2;
  const room = PANEL_SIZE - 1 - 2 * margin;
  const flat = strokes.flat();
  const box = [Math.min(...flat.map((p) => p[0])), Math.max(...flat.map((p) => p[0])), Math.min(...flat.map((p) => p[1])), Math.max(...flat.map((p) => p[1]))];
  const fit = Math.min(1, room / (box[1] - box[0]), room / (box[3] - box[2]));
  const dx = rng.uniform(margin - fit * box[0], PANEL_SIZE - 1 - margin - fit * box[1]);
  const dy = rng.uniform(margin - fit * box[2], PANEL_SIZE - 1 - margin - fit * box[3]);
  strokes = strokes.map((s) => s.map(([x, y]): Point => [x * fit + dx, y * fit + dy]));
  // 3. resample: a pitch of 3-8 units, wider when the digit would get more than MAX_POINTS points
  const total = strokes.reduce((l, s) => l + length(s), 0);
  const pitch = Math.max(rng.uniform(3, 8), (1.1 * total) / Math.max(MAX_POINTS / 2, MAX_POINTS - 2 * strokes.length));
  strokes = strokes.map((s) => resample(s, () => pitch * rng.uniform(0.75, 1.25)));
  // 4. noise, pen lift, direction
  if (rng.next() < 0.15) {
    const longest = strokes.reduce((b, s, i) => (s.length > strokes[b].length ? i : b), 0);
    const s = strokes[longest];
    if (s.length >= 8) {
      const cut = Math.floor(s.length * rng.uniform(0.3, 0.7));
      strokes.splice(longest, 1, s.slice(0, cut), s.slice(cut + 1));
    }
  }
  if (rng.next() < 0.15) {
    const i = rng.int(strokes.length);
    strokes[i] = strokes[i].slice().reverse();
  }
  const clamp = (v: number) => Math.max(0, Math.min(PANEL_SIZE - 1, Math.round(v)));
  return strokes.map((s) => {
    const out: Point[] = [];
    for (const [x, y] of s) {
      const p: Point = [clamp(x + rng.uniform(-1.5, 1.5)), clamp(y + rng.uniform(-1.5, 1.5))];
      const q = out[out.length - 1];
      if (!q || q[0] !== p[0] || q[1] !== p[1]) out.push(p);
    }
    return out;
  });
}

/** The set: PER_CLASS samples of each digit, digits interleaved (0-9, 0-9, ...), fonts in turn. */
export function hersheySet(seed = HERSHEY_SET_SEED, perClass = PER_CLASS): StrokeSample[] {
  const fonts = fontDigits();
  const samples: StrokeSample[] = [];
  for (let k = 0; k < perClass; k++) {
    for (let label = 0; label < 10; label++) {
      const { font, digits } = fonts[(k + label) % fonts.length];
      const rng = new SeededRng((Math.imul(seed, 0x9e3779b1) + samples.length) >>> 0);
      const id = `hershey-${font.id}-${label}-${Math.floor(k / fonts.length)}`;
      samples.push({ id, label, width: PANEL_SIZE, height: PANEL_SIZE, strokes: drawGlyph(digits[label], rng) });
    }
  }
  return samples;
}

/** The file: one JSON object a line. */
export function toJsonl(samples: StrokeSample[]): string {
  return samples.map((s) => JSON.stringify({ id: s.id, label: s.label, width: s.width, height: s.height, strokes: s.strokes }) + "\n").join("");
}

/** The sample sheet: a row per digit, its first `columns` samples drawn in their panels. */
export function sampleSheet(samples: StrokeSample[], columns = 12): string {
  const cell = 80;
  const label = 12;
  const left = 20;
  const scale = (cell - 8) / PANEL_SIZE;
  const out: string[] = [];
  const width = left + columns * cell;
  const height = 24 + 10 * (cell + label);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(
    `<text x="${left}" y="15" font-size="11">${HERSHEY_SET_PATH}: ${samples.length} stroke-drawn digits from Hershey and EMS single-line fonts (not MNIST); the first ${columns} of each digit</text>`,
  );
  for (let d = 0; d < 10; d++) {
    const y0 = 24 + d * (cell + label);
    out.push(`<text x="4" y="${y0 + cell / 2 + 5}" font-size="14" font-weight="bold">${d}</text>`);
    samples
      .filter((s) => s.label === d)
      .slice(0, columns)
      .forEach((s, c) => {
        const x0 = left + c * cell + 4;
        out.push(`<g transform="translate(${x0} ${y0 + 4}) scale(${scale.toFixed(5)})">`);
        out.push(`<rect width="${PANEL_SIZE}" height="${PANEL_SIZE}" fill="#f4f4f4" stroke="#bbb" stroke-width="3"/>`);
        for (const st of s.strokes) {
          if (st.length === 1) out.push(`<circle cx="${st[0][0]}" cy="${st[0][1]}" r="4"/>`);
          else
            out.push(
              `<polyline points="${st.map((p) => p.join(",")).join(" ")}" fill="none" stroke="#000" stroke-width="6" stroke-linecap="round" stroke-linejoin="round"/>`,
            );
        }
        out.push("</g>");
        const font = s.id.replace(/^hershey-/, "").replace(/-\d-\d+$/, "");
        out.push(`<text x="${x0 + (cell - 8) / 2}" y="${y0 + cell + 6}" font-size="7" text-anchor="middle" fill="#555">${font}</text>`);
      });
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}
