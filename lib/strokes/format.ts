/**
 * Stroke files (docs/strokes.md): touch digits as JSON, read by `bnn classify --strokes`. One
 * sample is
 *
 *   {"width": W, "height": H, "strokes": [[[x, y], ...], ...], "label"?: 0-9 | null, "id"?: string, "writer"?: string}
 *
 * (the panel's size, integer points with the origin top left and y down, 0 <= x < W,
 * 0 <= y < H, W and H 1..65535; a stroke of one point is a dot, no stroke at all an empty input).
 * A file ending .jsonl holds one sample per line (blank lines skipped); a .json file holds one
 * sample or an array of them. Every defect is a one-line UserError naming file:line and what is
 * wrong: the JSON is read by a small parser of its own that knows the line of every value
 * (JSON.parse knows none).
 *
 * Samples come out in the flat form the rasterizer takes (src/shared/stroke-raster.ts): one
 * [x0, y0, x1, y1, ...] list per stroke, as the simulated panel (devices/touch.ts) and the
 * program (src/shared/touch-samples.ts) hold strokes.
 */
import { UserError } from "../errors.ts";
import { displayPath } from "../paths.ts";
import { newLines, parseJson, type Lines } from "../json.ts";
import { readTextFile } from "../text-file.ts";

export interface StrokeSample {
  /** Panel size, panel units. */
  width: number;
  height: number;
  /** Flat point lists [x0, y0, x1, y1, ...], one per stroke. */
  strokes: number[][];
  /** The digit drawn, when the file says (absent or null: unknown). */
  label?: number;
  id?: string;
  /** Who wrote it (a name or number as a string), when the file says: accuracy per writer. */
  writer?: string;
  /** Line of the file where the sample starts (1-based). */
  line: number;
}

export const MAX_PANEL_SIDE = 65535;
/** The largest stroke file read (the 7,494 pen digits take 4 MB; a million taps 14 MB). */
export const MAX_STROKE_FILE_BYTES = 256 * 1024 * 1024;
const KEYS = ["width", "height", "strokes", "label", "id", "writer"];
/** The longest `writer` taken (a name, not a document). */
export const MAX_WRITER_LENGTH = 100;
/** Writers in a reading order: numbers by value, before names, names alphabetically. */
export function compareWriters(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb || a.localeCompare(b);
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- samples ---------------------------------------------------------------------------------

function show(v: unknown): string {
  const s = typeof v === "number" ? String(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 30 ? s.slice(0, 27) + "..." : s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A sample from a parsed value; errors through `fail(line, message)`. */
function sampleOf(v: unknown, lines: Lines, fallbackLine: number, fail: (line: number, message: string) => never): StrokeSample {
  if (!isObject(v)) return fail(fallbackLine, `a sample is an object {"width", "height", "strokes", ...}; this is ${show(v)}`);
  const line = lines.of.get(v) ?? fallbackLine;
  const keyLine = (k: string) => lines.keys.get(v)?.get(k) ?? line;
  for (const k of Object.keys(v)) if (!KEYS.includes(k)) fail(keyLine(k), `unknown key "${k.slice(0, 40)}" (a sample has ${KEYS.join(", ")})`);
  const side = (k: "width" | "height"): number => {
    if (!(k in v)) fail(line, `the sample has no "${k}" (the panel's size)`);
    const n = v[k];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_PANEL_SIDE)
      fail(keyLine(k), `${k} ${show(n)} is not an integer 1..${MAX_PANEL_SIDE}`);
    return n as number;
  };
  const width = side("width");
  const height = side("height");
  if (!("strokes" in v)) fail(line, `the sample has no "strokes"`);
  const raw = v.strokes;
  if (!Array.isArray(raw)) fail(keyLine("strokes"), `strokes is a list of strokes, each a list of [x, y] points; this is ${show(raw)}`);
  const strokes: number[][] = [];
  const strokeLines = lines.items.get(raw as unknown[]) ?? [];
  (raw as unknown[]).forEach((st, s) => {
    const stLine = strokeLines[s] ?? keyLine("strokes");
    if (!Array.isArray(st)) fail(stLine, `strokes[${s}] is a list of [x, y] points; this is ${show(st)}`);
    if (st.length === 0) fail(stLine, `strokes[${s}] has no point (a stroke has at least one; leave it out)`);
    const flat: number[] = [];
    const pointLines = lines.items.get(st) ?? [];
    st.forEach((p: unknown, k: number) => {
      const where = `strokes[${s}][${k}]`;
      const pLine = pointLines[k] ?? stLine;
      if (!Array.isArray(p) || p.length !== 2) fail(pLine, `${where} is a point [x, y]; this is ${show(p)}`);
      const [x, y] = p as unknown[];
      const xyLines = lines.items.get(p as unknown[]) ?? [];
      for (const [k, name, c] of [
        [0, "x", x],
        [1, "y", y],
      ] as const) {
        if (typeof c !== "number" || !Number.isInteger(c)) fail(xyLines[k] ?? pLine, `${where}: ${name} ${show(c)} is not an integer`);
      }
      if ((x as number) < 0 || (x as number) >= width || (y as number) < 0 || (y as number) >= height) {
        fail(pLine, `${where}: (${x}, ${y}) is outside the ${width}x${height} panel (0 <= x < ${width}, 0 <= y < ${height})`);
      }
      flat.push(x as number, y as number);
    });
    strokes.push(flat);
  });
  const out: StrokeSample = { width, height, strokes, line };
  if ("label" in v && v.label !== null) {
    const l = v.label;
    if (typeof l !== "number" || !Number.isInteger(l) || l < 0 || l > 9) fail(keyLine("label"), `label ${show(l)} is not a digit 0..9 (or null: unknown)`);
    out.label = l as number;
  }
  if ("id" in v) {
    if (typeof v.id !== "string") fail(keyLine("id"), `id ${show(v.id)} is not a string`);
    out.id = v.id as string;
  }
  if ("writer" in v) {
    const w = v.writer;
    if (typeof w !== "string" || w.length === 0 || w.length > MAX_WRITER_LENGTH)
      fail(keyLine("writer"), `writer ${show(w)} is not a string of 1..${MAX_WRITER_LENGTH} characters`);
    out.writer = w as string;
  }
  return out;
}

export type StrokeFileKind = "json" | "jsonl";

/** The kind of a stroke file by its name, or undefined when it ends neither .json nor .jsonl. */
export function strokeFileKind(path: string): StrokeFileKind | undefined {
  return /\.jsonl$/i.test(path) ? "jsonl" : /\.json$/i.test(path) ? "json" : undefined;
}

/**
 * The samples of stroke-file text; `name` is what error messages call the file. Throws a
 * one-line UserError naming name:line for every defect, and for a file without samples.
 */
export function parseStrokeText(text: string, name: string, kind: StrokeFileKind): StrokeSample[] {
  const fail = (line: number, message: string): never => {
    throw new UserError(`${name}:${line}: ${message}`);
  };
  const parse = (t: string, firstLine: number, lines: Lines): unknown => parseJson(t, name, lines, firstLine);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const samples: StrokeSample[] = [];
  if (kind === "jsonl") {
    text.split("\n").forEach((l, k) => {
      if (l.trim() === "") return;
      const lines = newLines();
      const v = parse(l, k + 1, lines);
      if (!isObject(v)) fail(k + 1, `a line of a .jsonl file holds one sample object {"width", "height", "strokes", ...}; this is ${show(v)}`);
      samples.push(sampleOf(v, lines, k + 1, fail));
    });
  } else {
    const lines = newLines();
    if (text.trim() === "") fail(1, "the file is empty (a .json file holds one sample or an array of samples)");
    const v = parse(text, 1, lines);
    if (Array.isArray(v)) {
      const at = lines.items.get(v) ?? [];
      v.forEach((s, k) => samples.push(sampleOf(s, lines, at[k] ?? 1, fail)));
    } else samples.push(sampleOf(v, lines, 1, fail));
  }
  if (samples.length === 0) fail(1, "the file holds no sample");
  return samples;
}

/** The samples of stroke file `path` (.json or .jsonl). */
export function readStrokeFile(path: string): StrokeSample[] {
  const kind = strokeFileKind(path);
  const name = displayPath(path);
  if (!kind) throw new UserError(`${name}: a stroke file's name ends .json (one sample or an array) or .jsonl (one sample per line)`);
  return parseStrokeText(readTextFile(path, name, MAX_STROKE_FILE_BYTES, "stroke file"), name, kind);
}

/** Flat strokes [x0, y0, x1, y1, ...] -> the file's points [[x0, y0], [x1, y1], ...]. */
export function toPoints(strokes: number[][]): number[][][] {
  return strokes.map((st) => {
    const out: number[][] = [];
    for (let i = 0; i + 1 < st.length; i += 2) out.push([st[i], st[i + 1]]);
    return out;
  });
}

/** The file's points -> flat strokes, the rasterizer's form. */
export function toFlat(points: number[][][]): number[][] {
  return points.map((st) => st.flat());
}

/** One sample as a line of a .jsonl file (keys in the documented order; label, id and writer when given). */
export function sampleLine(s: Omit<StrokeSample, "line"> & { label?: number | null }): string {
  return JSON.stringify({
    width: s.width,
    height: s.height,
    strokes: toPoints(s.strokes),
    ...(s.label !== undefined ? { label: s.label } : {}),
    ...(s.id !== undefined ? { id: s.id } : {}),
    ...(s.writer !== undefined ? { writer: s.writer } : {}),
  });
}
