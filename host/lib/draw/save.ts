/**
 * Saving drawings as labelled stroke samples (`bnn sim --draw --save FILE`): one JSON line per
 * sample appended to FILE in the stroke file format (docs/strokes.md):
 *
 *   {"id": "draw-20260101T120000123-1", "label": 7, "width": 240, "height": 240, "strokes": [[[x, y], ...], ...]}
 *
 * Append only: the file is created by the first save if it is missing, and never rewritten. Its
 * path is checked before the simulator starts, so a bad one costs nothing.
 */
import { accessSync, appendFileSync, closeSync, constants, existsSync, openSync, readSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UserError } from "../errors.ts";
import { displayPath } from "../paths.ts";
import { toPoints } from "./strokes.ts";

export const DEFAULT_SAVE_FILE = "my-strokes.jsonl";

/** The absolute path of the file drawings are appended to, or a one-line error; writes nothing. */
export function saveFile(path: string): string {
  const abs = resolve(path);
  const show = displayPath(abs);
  if (existsSync(abs)) {
    if (!statSync(abs).isFile()) throw new UserError(`--save ${show} is not a file`);
    try {
      accessSync(abs, constants.W_OK);
    } catch {
      throw new UserError(`--save ${show} is not writable`);
    }
    return abs;
  }
  const dir = dirname(abs);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`--save ${show}: the folder ${displayPath(dir)} does not exist`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UserError(`--save ${show}: the folder ${displayPath(dir)} is not writable`);
  }
  return abs;
}

export interface SavedSample {
  id: string;
  label: number;
  width: number;
  height: number;
  strokes: [number, number][][];
}

/** A sample id that sorts by time: draw-<UTC yyyymmddThhmmssmmm>-<n>. */
export function sampleId(n: number, now = new Date()): string {
  return `draw-${now.toISOString().replace(/[-:.Z]/g, "")}-${n}`;
}

/** Appends `strokes` (flat, panel coordinates) with `label` as one line; returns what it wrote. */
export function appendSample(file: string, id: string, label: number, strokes: number[][], width: number, height: number): SavedSample {
  if (!Number.isInteger(label) || label < 0 || label > 9) throw new UserError(`label ${label} is not a digit 0..9`);
  const sample: SavedSample = { id, label, width, height, strokes: toPoints(strokes) };
  // a file that does not end its last line gets the newline first, so lines never run together
  appendFileSync(file, (endsOpen(file) ? "\n" : "") + JSON.stringify(sample) + "\n", { flag: "a" });
  return sample;
}

function endsOpen(file: string): boolean {
  if (!existsSync(file)) return false;
  const size = statSync(file).size;
  if (size === 0) return false;
  const fd = openSync(file, "r");
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}
