/**
 * UNIPEN files (the format online-handwriting data is distributed in: Guyon et al., "UNIPEN
 * project of on-line data exchange and recognizer benchmarks", 1994) read as stroke samples
 * (docs/strokes.md, "UNIPEN files"). What is read:
 *
 *   .SEGMENT <level> <range> <quality> "<label>"   a new sample; its label a digit 0..9
 *   .PEN_DOWN  x y  x y ...  .PEN_UP               a stroke: one "x y" line a point
 *   .WRITER_ID <id>                                the writer of the segments that follow
 *   .COMMENT <digit> <writer> <sample>             the same, as the UCI pen digits write it
 *                                                  (three integers, the first the segment's label)
 *   .X_DIM <w>  .Y_DIM <h>                         the tablet box (else --box, 500x500 by default)
 *
 * Other keywords (.DT, .INCLUDE, .LEXICON, .HIERARCHY, ...) are skipped. Tablet points (y up, in
 * the box) become panel points (y down): one scale, the box's longer side onto the panel's
 * shorter, centred; rounded; consecutive repeated points dropped; strokes of fewer than two
 * points dropped (a pen that touched without moving). Every defect is one UserError naming
 * file:line.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { UserError } from "../errors.ts";
import { displayPath } from "../paths.ts";
import type { StrokeSample } from "./format.ts";

export interface TabletBox {
  width: number;
  height: number;
}

/** The UCI pen digits' tablet box: each digit scaled into 500x500 (pendigits' documentation). */
export const DEFAULT_TABLET_BOX: TabletBox = { width: 500, height: 500 };

export interface UnipenOptions {
  /** The panel the points are mapped onto. */
  panel: { width: number; height: number };
  /** The tablet box when the file declares none (.X_DIM / .Y_DIM). */
  box: TabletBox;
  /** Sample ids: `${idPrefix}-${k}`, k counting segments from 0. */
  idPrefix: string;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The samples of UNIPEN text; `name` is what error messages call the file. */
export function parseUnipen(text: string, name: string, o: UnipenOptions): StrokeSample[] {
  const fail = (line: number, message: string): never => {
    throw new UserError(`${name}:${line}: ${message}`);
  };
  let boxW = 0;
  let boxH = 0;
  /** The tablet box: declared, else the option's. */
  const box = () => ({ w: boxW || o.box.width, h: boxH || o.box.height });
  let writer: string | undefined;
  const samples: StrokeSample[] = [];
  /** The open segment: its label, writer, raw strokes (tablet points) and where it began. */
  let seg: { label: number; writer?: string; strokes: number[][]; line: number } | undefined;
  /** The open stroke (between .PEN_DOWN and .PEN_UP) and its line. */
  let pen: { points: number[]; line: number } | undefined;
  const close = (): void => {
    if (!seg) return;
    if (seg.strokes.length === 0) fail(seg.line, ".SEGMENT with no stroke (no .PEN_DOWN ... .PEN_UP before the next .SEGMENT)");
    samples.push(toSample(seg, samples.length));
    seg = undefined;
  };
  const toSample = (s: NonNullable<typeof seg>, k: number): StrokeSample => {
    const { w: bw, h: bh } = box();
    const { width, height } = o.panel;
    const scale = Math.min(width / bw, height / bh);
    const offX = Math.floor((width - bw * scale) / 2);
    const offY = Math.floor((height - bh * scale) / 2);
    const strokes: number[][] = [];
    for (const raw of s.strokes) {
      const flat: number[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        const x = Math.min(width - 1, offX + Math.round(raw[i] * scale));
        const y = Math.min(height - 1, offY + Math.round((bh - raw[i + 1]) * scale));
        const n = flat.length;
        if (n && flat[n - 2] === x && flat[n - 1] === y) continue;
        flat.push(x, y);
      }
      if (flat.length >= 4) strokes.push(flat);
    }
    if (!strokes.length) fail(s.line, `the segment's strokes are all single points once on the ${width}x${height} panel: no digit to keep`);
    return { width, height, strokes, label: s.label, id: `${o.idPrefix}-${k}`, ...(s.writer !== undefined ? { writer: s.writer } : {}), line: s.line };
  };
  const lines = text.split(/\r?\n/);
  for (let k = 0; k < lines.length; k++) {
    const n = k + 1;
    const t = lines[k].trim();
    if (t === "") continue;
    if (!t.startsWith(".")) {
      // a point
      const f = t.split(/\s+/);
      if (f.length < 2 || !NUMBER.test(f[0]) || !NUMBER.test(f[1])) fail(n, `a point is "x y" (numbers); found '${t.slice(0, 40)}'`);
      if (!pen) {
        if (!seg) fail(n, "a point before any .SEGMENT");
        continue; // pen-up movement between strokes: not ink
      }
      const x = Number(f[0]);
      const y = Number(f[1]);
      const { w: bw, h: bh } = box();
      if (x < 0 || x > bw || y < 0 || y > bh)
        fail(n, `point (${f[0]}, ${f[1]}) is outside the ${bw}x${bh} tablet box${boxW || boxH ? " the file declares (.X_DIM/.Y_DIM)" : " (--box)"}`);
      pen.points.push(x, y);
      continue;
    }
    const [keyword, ...rest] = t.split(/\s+/);
    const args = rest.join(" ");
    switch (keyword) {
      case ".SEGMENT": {
        if (pen) fail(pen.line, ".PEN_DOWN without a .PEN_UP before the next .SEGMENT");
        close();
        const m = /"([^"]*)"\s*$/.exec(args);
        if (!m) fail(n, `.SEGMENT without a label (its last field is the label in quotes, e.g. "7")`);
        const label = m![1];
        if (!/^[0-9]$/.test(label)) fail(n, `.SEGMENT label "${label.slice(0, 20)}" is not a digit 0..9`);
        seg = { label: Number(label), strokes: [], line: n, ...(writer !== undefined ? { writer } : {}) };
        break;
      }
      case ".PEN_DOWN":
        if (pen) fail(pen.line, ".PEN_DOWN without a .PEN_UP before the next .PEN_DOWN");
        if (!seg) fail(n, ".PEN_DOWN before any .SEGMENT (a stroke belongs to a labelled segment)");
        pen = { points: [], line: n };
        break;
      case ".PEN_UP":
        if (!pen) fail(n, ".PEN_UP without a .PEN_DOWN");
        if (pen!.points.length === 0) fail(n, "a stroke with no point between .PEN_DOWN and .PEN_UP");
        seg!.strokes.push(pen!.points);
        pen = undefined;
        break;
      case ".WRITER_ID":
        if (!args) fail(n, ".WRITER_ID without an id");
        writer = args.slice(0, 100);
        break;
      case ".COMMENT": {
        // the UCI pen digits: ".COMMENT <digit> <writer> <sample>" after each .SEGMENT
        const m = /^(\d)\s+(\d+)\s+(\d+)$/.exec(args);
        if (m && seg && seg.strokes.length === 0 && !pen && Number(m[1]) === seg.label) seg.writer = m[2];
        break;
      }
      case ".X_DIM":
      case ".Y_DIM": {
        const v = Number(args);
        if (!NUMBER.test(args) || !(v > 0)) fail(n, `${keyword} must be a positive number; found '${args.slice(0, 20)}'`);
        if (seg) fail(n, `${keyword} after the first .SEGMENT (the box must be declared before the points)`);
        if (keyword === ".X_DIM") boxW = v;
        else boxH = v;
        break;
      }
      default:
        break; // .DT, .INCLUDE, .LEXICON, .HIERARCHY, .COORD, ...: not needed for the strokes
    }
  }
  if (pen) fail(pen.line, ".PEN_DOWN without a .PEN_UP: the file ends inside a stroke (truncated?)");
  if (seg && seg.strokes.length === 0) fail(seg.line, ".SEGMENT with no stroke: the file ends after it (truncated?)");
  close();
  if (!samples.length) fail(1, "no .SEGMENT: not a UNIPEN file of labelled digits");
  return samples;
}

/** The text of a file, gunzipped when it is gzip (by its magic bytes, whatever its name). */
export function readMaybeGzip(path: string): string {
  const raw = readFileSync(path);
  return (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString("latin1");
}

/** The samples of UNIPEN file `path` (plain or gzip). */
export function readUnipenFile(path: string, o: Omit<UnipenOptions, "idPrefix"> & { idPrefix?: string }): StrokeSample[] {
  const stem =
    path
      .replace(/^.*[\\/]/, "")
      .replace(/\.gz$/i, "")
      .replace(/\.[^.]*$/, "") || "unipen";
  return parseUnipen(readMaybeGzip(path), displayPath(path), { ...o, idPrefix: o.idPrefix ?? stem });
}
