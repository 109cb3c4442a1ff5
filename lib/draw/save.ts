/**
 * Saving drawings as labelled stroke samples (`bnn sim --draw --save FILE`): one JSON line per
 * sample appended to FILE in the stroke file format (docs/strokes.md):
 *
 *   {"id": "draw-20260101T120000123-1", "label": 7, "width": 240, "height": 240, "strokes": [[[x, y], ...], ...]}
 *
 * Append only: the file is created by the first save if it is missing, and never rewritten. Its
 * path is checked before the simulator starts, so a bad one costs nothing.
 */
import { appendFileSync, closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { UserError } from "../errors.ts";
import { outputFile } from "../output.ts";
import { toPoints } from "./strokes.ts";

export const DEFAULT_SAVE_FILE = "my-strokes.jsonl";

/** The absolute path of the file drawings are appended to, or a one-line error; writes nothing. */
export function saveFile(path: string): string {
  return outputFile(path, "--save", { append: true });
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
