/**
 * Font digits for training: the digits 0-9 of 40 typefaces from npm (`@fontsource/*`, SIL OFL,
 * Apache or Ubuntu licensed: handwriting, marker, script, sans, serif and mono faces, upright and,
 * where the family has one, italic), each a letterform MNIST has few of (a 1 with a flag and a
 * base, a 9 with a curled tail, a 4 open or closed, a 7 with a crossbar). A glyph's outline
 * (opentype.js) is filled the way MNIST digits were framed (20 px box, centred, 4x4 supersampled
 * coverage as grey levels), then thinned and traced into pen strokes by the same code that turns
 * MNIST images into strokes (../touch/strokes-from-image.ts); the trainer then reshapes them as a
 * hand would and rasterizes them as the board does, like its other stroke samples.
 *
 * No font is committed: the packages are development dependencies, read from node_modules. None
 * of these typefaces is one of the single-line fonts of the Hershey stroke set that measures the
 * models (data/strokes/hershey.jsonl), so that set stays out of training.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import opentype, { type PathCommand } from "opentype.js";
import { IMAGE_PIXELS, IMAGE_SIDE } from "../mnist.ts";
import { UserError } from "../errors.ts";
import { strokesFromImage } from "../strokes/from-image.ts";
import { strokesByLabel } from "./stroke-render.ts";

/** The @fontsource families read; each gives its 400-weight upright face and, if it has one, its italic. */
export const FONT_FAMILIES = [
  // handwriting and marker
  "caveat",
  "indie-flower",
  "patrick-hand",
  "kalam",
  "shadows-into-light",
  "gloria-hallelujah",
  "architects-daughter",
  "coming-soon",
  "reenie-beanie",
  "just-another-hand",
  "handlee",
  "schoolbell",
  "neucha",
  "covered-by-your-grace",
  "nanum-pen-script",
  "permanent-marker",
  // script
  "dancing-script",
  "pacifico",
  // sans
  "roboto",
  "open-sans",
  "lato",
  "montserrat",
  "oswald",
  "raleway",
  "ubuntu",
  "fira-sans",
  "comic-neue",
  "josefin-sans",
  "nunito",
  // serif
  "merriweather",
  "lora",
  "playfair-display",
  "pt-serif",
  "crimson-text",
  "libre-baskerville",
  "eb-garamond",
  "noto-serif",
  // mono
  "courier-prime",
  "space-mono",
  "source-code-pro",
] as const;

/**
 * Families held out of training: their digits are the trainer's font validation set (model
 * selection, and the choice between recipes), one or two of each kind.
 */
export const VALIDATION_FAMILIES: readonly string[] = ["kalam", "handlee", "neucha", "pacifico", "lato", "fira-sans", "pt-serif", "eb-garamond", "space-mono"];

/** Which faces: the training families, the validation families, or all. */
export type FontPart = "train" | "validation" | "all";

/** Supersampling per pixel side when filling a glyph. */
const SUPER = 4;
/** The longer side of a glyph's box in the 28x28 image, as MNIST's 20 px. */
const BOX = 20;
/** Line pieces per curve when flattening outlines. */
const CURVE_STEPS = 8;

interface Edge {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The outline's closed polygons as edges (y down). */
function outlineEdges(commands: PathCommand[]): Edge[] {
  const edges: Edge[] = [];
  let sx = 0,
    sy = 0,
    cx = 0,
    cy = 0;
  const line = (x: number, y: number) => {
    if (x !== cx || y !== cy) edges.push({ x0: cx, y0: cy, x1: x, y1: y });
    cx = x;
    cy = y;
  };
  for (const c of commands) {
    if (c.type === "M") {
      if (cx !== sx || cy !== sy) line(sx, sy);
      sx = cx = c.x!;
      sy = cy = c.y!;
    } else if (c.type === "L") {
      line(c.x!, c.y!);
    } else if (c.type === "Q") {
      const [x0, y0] = [cx, cy];
      for (let k = 1; k <= CURVE_STEPS; k++) {
        const t = k / CURVE_STEPS,
          u = 1 - t;
        line(u * u * x0 + 2 * u * t * c.x1! + t * t * c.x!, u * u * y0 + 2 * u * t * c.y1! + t * t * c.y!);
      }
    } else if (c.type === "C") {
      const [x0, y0] = [cx, cy];
      for (let k = 1; k <= CURVE_STEPS; k++) {
        const t = k / CURVE_STEPS,
          u = 1 - t;
        line(
          u * u * u * x0 + 3 * u * u * t * c.x1! + 3 * u * t * t * c.x2! + t * t * t * c.x!,
          u * u * u * y0 + 3 * u * u * t * c.y1! + 3 * u * t * t * c.y2! + t * t * t * c.y!,
        );
      }
    } else if (c.type === "Z") {
      line(sx, sy);
    }
  }
  if (cx !== sx || cy !== sy) line(sx, sy);
  return edges;
}

/**
 * A glyph outline filled into a 28x28 grey image (255 = ink), its box's longer side BOX px and its
 * box centred; nonzero winding, SUPER x SUPER samples per pixel.
 */
export function fillGlyph(commands: PathCommand[]): Uint8Array {
  const edges = outlineEdges(commands);
  const img = new Uint8Array(IMAGE_PIXELS);
  if (edges.length === 0) return img;
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (const e of edges) {
    x0 = Math.min(x0, e.x0, e.x1);
    x1 = Math.max(x1, e.x0, e.x1);
    y0 = Math.min(y0, e.y0, e.y1);
    y1 = Math.max(y1, e.y0, e.y1);
  }
  const scale = BOX / Math.max(x1 - x0, y1 - y0);
  const ox = IMAGE_SIDE / 2 - ((x0 + x1) / 2) * scale;
  const oy = IMAGE_SIDE / 2 - ((y0 + y1) / 2) * scale;
  const n = IMAGE_SIDE * SUPER;
  const cover = new Uint16Array(IMAGE_PIXELS);
  const hits: { x: number; w: number }[] = [];
  for (let j = 0; j < n; j++) {
    const y = (j + 0.5) / SUPER;
    hits.length = 0;
    for (const e of edges) {
      const ya = e.y0 * scale + oy,
        yb = e.y1 * scale + oy;
      if (ya <= y === yb <= y) continue;
      const xa = e.x0 * scale + ox,
        xb = e.x1 * scale + ox;
      hits.push({ x: xa + ((y - ya) / (yb - ya)) * (xb - xa), w: yb > ya ? 1 : -1 });
    }
    hits.sort((a, b) => a.x - b.x);
    let wind = 0;
    for (let h = 0; h + 1 < hits.length; h++) {
      wind += hits[h].w;
      if (wind === 0) continue;
      // samples whose centre (i + 0.5) / SUPER lies in [hits[h].x, hits[h + 1].x)
      const i0 = Math.max(0, Math.ceil(hits[h].x * SUPER - 0.5));
      const i1 = Math.min(n - 1, Math.ceil(hits[h + 1].x * SUPER - 0.5) - 1);
      for (let i = i0; i <= i1; i++) cover[Math.floor(j / SUPER) * IMAGE_SIDE + Math.floor(i / SUPER)]++;
    }
  }
  for (let p = 0; p < IMAGE_PIXELS; p++) img[p] = Math.round((255 * cover[p]) / (SUPER * SUPER));
  return img;
}

/** The woff files of a family: its latin 400 upright face and, if present, its italic. */
function familyFiles(family: string): string[] {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve(`@fontsource/${family}/package.json`));
  } catch {
    throw new UserError(`font digits need the npm package @fontsource/${family} (a development dependency): run npm install`);
  }
  const out: string[] = [];
  for (const style of ["normal", "italic"]) {
    const file = join(dir, "files", `${family}-latin-400-${style}.woff`);
    if (existsSync(file)) out.push(file);
    else if (style === "normal") throw new UserError(`@fontsource/${family} has no ${family}-latin-400-normal.woff`);
  }
  return out;
}

export interface FontDigit {
  /** The face, e.g. "caveat" or "lora-italic". */
  face: string;
  digit: number;
  /** Pen strokes on the default panel (traced from the filled glyph). */
  strokes: number[][];
}

/** The woff files of the faces of `part`, in FONT_FAMILIES order. */
export function fontFaceFiles(part: FontPart = "all"): string[] {
  return FONT_FAMILIES.filter((family) => part === "all" || VALIDATION_FAMILIES.includes(family) === (part === "validation")).flatMap(familyFiles);
}

/** One face's digits 0-9 as strokes (a woff file of fontFaceFiles); glyphs that trace to nothing are left out. */
export function faceDigits(file: string): FontDigit[] {
  const out: FontDigit[] = [];
  const buf = readFileSync(file);
  const font = opentype.parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const face = basename(file, ".woff")
    .replace(/-latin-400-normal$/, "")
    .replace(/-latin-400-italic$/, "-italic");
  for (let d = 0; d < 10; d++) {
    const glyph = font.charToGlyph(String(d));
    const img = fillGlyph(glyph.getPath(0, 0, 100).commands);
    const strokes = strokesFromImage(img, 0).filter((s) => s.length > 0);
    if (strokes.length > 0) out.push({ face, digit: d, strokes });
  }
  return out;
}

/** The faces' digits 0-9 as strokes, faces in FONT_FAMILIES order (a few hundred ms: every font is parsed). */
export function fontDigits(part: FontPart = "all"): FontDigit[] {
  return fontFaceFiles(part).flatMap(faceDigits);
}

/** fontDigits(part) grouped by digit. */
export function fontDigitsByLabel(part: FontPart): number[][][][] {
  return strokesByLabel(fontDigits(part).map((f) => [f.digit, f.strokes] as const));
}
