/**
 * `bnn classify`'s work: stroke samples and image files through the board's own input code and
 * the reference integer inference. Strokes: the no-digit check (src/shared/no-digit.ts), the
 * rasterizer (src/shared/stroke-raster.ts), inference (lib/model/infer.ts), as the program's
 * touch path does. Images: grayscale, the camera's polarity and size (lib/image/frame.ts),
 * the camera preprocessing (src/shared/camera-preprocess.ts), packing at the model's threshold,
 * inference, as its camera path does; no ink is the camera's "faint". `bnn sim` checks each result
 * line of the simulated board against the same touch and camera paths (lib/sim/reference.ts).
 */
import { readFileSync } from "node:fs";
import { wordBytes, wordsFor } from "./binary.ts";
import { UserError } from "./errors.ts";
import { decodeImage, type GrayImage } from "./image/decode.ts";
import { cameraFrame } from "./image/frame.ts";
import type { Model } from "./model/format.ts";
import { classify } from "./model/infer.ts";
import { packPixels } from "./model/input.ts";
import { displayPath } from "./paths.ts";
import { confusionMatrixSvg } from "./report/svg.ts";
import { compareWriters, type StrokeSample } from "./strokes/format.ts";
import { preprocess, OUT_PIXELS, OUT_SIDE } from "../src/shared/camera-preprocess.ts";
import { strokeNoDigit } from "../src/shared/no-digit.ts";
import { RASTER_BITS, rasterizeBits } from "../src/shared/stroke-raster.ts";

export const CLASSES = 10;

export interface Verdict {
  /** The digit, or null for no digit. */
  digit: number | null;
  /** Why there is no digit, or null. */
  noDigit: string | null;
  /** The model's integer scores, or null for no digit. */
  scores: number[] | null;
}

/** The one model shape classify feeds: 28x28 inputs (the raster and the preprocessing give those), 10 classes. */
export function requireDigitModel(model: Model): void {
  const { width, height } = model.input;
  if (width !== OUT_SIDE || height !== OUT_SIDE) {
    throw new UserError(
      `model ${model.file.name} takes ${width}x${height} images; classify feeds it ${OUT_SIDE}x${OUT_SIDE} digits (strokes rasterized, images preprocessed as the board does)`,
    );
  }
  if (model.output.outputs !== CLASSES) throw new UserError(`model ${model.file.name} scores ${model.output.outputs} classes; classify reads digits 0..9`);
}

/**
 * The board's touch path on the host, for strokes on a width x height panel: the no-digit reason
 * ("" for a digit), the input bits the rasterizer draws, its ink count, and the reference
 * inference on those bits (computed for any strokes: the program skips it for no digit).
 */
export function touchPath(
  model: Model,
  strokes: number[][],
  width: number,
  height: number,
): { noDigit: string; bits: Uint32Array; ink: number; scores: Int32Array; digit: number } {
  const bits = new Uint32Array(wordsFor(RASTER_BITS));
  const info = rasterizeBits(strokes, width, height, wordBytes(bits));
  const r = classify(model, bits);
  return { noDigit: strokeNoDigit(strokes, width, height), bits, ink: info.ink, scores: r.scores, digit: r.digit };
}

/** One stroke sample (its strokes and panel size), as the board's touch path classifies it. */
export function classifyStrokes(model: Model, sample: Pick<StrokeSample, "strokes" | "width" | "height">): Verdict {
  const t = touchPath(model, sample.strokes, sample.width, sample.height);
  if (t.noDigit) return { digit: null, noDigit: t.noDigit, scores: null };
  return { digit: t.digit, noDigit: null, scores: Array.from(t.scores) };
}

export interface ImageVerdict extends Verdict {
  /** The image file's size and kind. */
  width: number;
  height: number;
  format: string;
  /** It was light ink on dark paper (inverted to the camera's dark on bright). */
  inverted: boolean;
  /** The camera frame it became (area-averaged down when larger than a frame may be). */
  frameWidth: number;
  frameHeight: number;
}

/**
 * The board's camera path on the host, for a camera frame (row-major, dark ink on bright paper,
 * width x height as the camera sends it): the preprocessing, packing at the model's threshold,
 * the reference inference; no ink is "faint", as the program reports it.
 */
export async function classifyFrame(model: Model, pixels: Uint8Array, width: number, height: number): Promise<Verdict> {
  const digit = new Uint8Array(OUT_PIXELS);
  const ink = await preprocess(pixels, width, height, digit);
  if (ink === 0) return { digit: null, noDigit: "faint", scores: null };
  const r = classify(model, packPixels(digit, model.input.threshold, OUT_PIXELS));
  return { digit: r.digit, noDigit: null, scores: Array.from(r.scores) };
}

/** A grayscale image, as the board's camera path classifies a frame of it. */
export async function classifyGray(model: Model, img: GrayImage): Promise<ImageVerdict> {
  const frame = cameraFrame(img);
  const base = { width: img.width, height: img.height, format: img.format, inverted: frame.inverted, frameWidth: frame.width, frameHeight: frame.height };
  return { ...base, ...(await classifyFrame(model, frame.pixels, frame.width, frame.height)) };
}

/** An image file (PNG or binary PGM), as the board's camera path classifies it. */
export async function classifyImageFile(model: Model, path: string): Promise<ImageVerdict> {
  return classifyGray(model, decodeImage(readFileSync(path), displayPath(path)));
}

export interface ClassifySummary {
  samples: number;
  labeled: number;
  /** Labeled samples whose digit is the label. */
  correct: number;
  /** correct / labeled; null without labels. */
  accuracy: number | null;
  /** Samples without a digit, by reason. */
  noDigit: Record<string, number>;
  /** Accuracy of each digit's labeled samples; null for a digit no sample is labeled with. */
  perClass: (number | null)[] | null;
  /** Rows: the label 0..9; columns: the digit 0..9, then no digit. Null without labels. */
  confusion: number[][] | null;
  /** When labeled samples carry a writer: accuracy of each writer's labeled samples, by writer (numbers in numeric order). */
  perWriter?: WriterFigure[];
  /** The writer of the lowest accuracy (the first of a tie in perWriter's order). */
  worstWriter?: { writer: string; accuracy: number };
}

export interface WriterFigure {
  writer: string;
  samples: number;
  correct: number;
  accuracy: number;
}

/** Counts results as they come. */
export class ClassifyTally {
  private samples = 0;
  private labeled = 0;
  private correct = 0;
  private noDigit = new Map<string, number>();
  private confusion = Array.from({ length: CLASSES }, () => new Array<number>(CLASSES + 1).fill(0));
  private writers = new Map<string, { samples: number; correct: number }>();

  add(label: number | undefined, v: Verdict, writer?: string): void {
    this.samples++;
    if (v.noDigit !== null) this.noDigit.set(v.noDigit, (this.noDigit.get(v.noDigit) ?? 0) + 1);
    if (label === undefined) return;
    this.labeled++;
    if (v.digit === label) this.correct++;
    this.confusion[label][v.digit ?? CLASSES]++;
    if (writer === undefined) return;
    const w = this.writers.get(writer) ?? { samples: 0, correct: 0 };
    w.samples++;
    if (v.digit === label) w.correct++;
    this.writers.set(writer, w);
  }

  private writerFigures(): Pick<ClassifySummary, "perWriter" | "worstWriter"> {
    if (!this.writers.size) return {};
    const perWriter = [...this.writers]
      .sort(([a], [b]) => compareWriters(a, b))
      .map(([writer, w]) => ({ writer, samples: w.samples, correct: w.correct, accuracy: w.correct / w.samples }));
    const worst = perWriter.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
    return { perWriter, worstWriter: { writer: worst.writer, accuracy: worst.accuracy } };
  }

  summary(): ClassifySummary {
    const has = this.labeled > 0;
    return {
      samples: this.samples,
      labeled: this.labeled,
      correct: this.correct,
      accuracy: has ? this.correct / this.labeled : null,
      noDigit: Object.fromEntries([...this.noDigit].sort(([a], [b]) => a.localeCompare(b))),
      perClass: has
        ? this.confusion.map((row, k) => {
            const n = row.reduce((a, b) => a + b, 0);
            return n ? row[k] / n : null;
          })
        : null,
      confusion: has ? this.confusion.map((r) => [...r]) : null,
      ...this.writerFigures(),
    };
  }
}

/** A summary's confusion matrix as a picture (rows: label; columns: digit, then no digit). */
export function confusionPicture(confusion: number[][], title: string): string {
  return confusionMatrixSvg(confusion, { title, columnLabels: [...Array.from({ length: CLASSES }, (_, k) => String(k)), "none"] });
}

/** The summary as the readable table classify prints on stderr. */
export function summaryText(s: ClassifySummary): string {
  const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
  const none = Object.entries(s.noDigit);
  const lines = [
    `${s.samples} sample${s.samples === 1 ? "" : "s"}, ${s.labeled} labeled; no digit: ${none.length ? none.map(([k, v]) => `${v} ${k}`).join(", ") : "none"}`,
  ];
  if (s.accuracy === null || !s.confusion || !s.perClass) return lines.join("\n");
  lines.push(`accuracy: ${pct(s.accuracy)} (${s.correct}/${s.labeled}; a labeled sample without a digit counts as wrong)`, "");
  lines.push("confusion matrix (rows: label, columns: digit, then no digit)");
  lines.push("      " + Array.from({ length: CLASSES }, (_, k) => String(k).padStart(5)).join("") + "    none   accuracy");
  s.confusion.forEach((row, k) => {
    const acc = s.perClass![k];
    lines.push(
      `  ${k}:  ` +
        row
          .slice(0, CLASSES)
          .map((v) => String(v).padStart(5))
          .join("") +
        String(row[CLASSES]).padStart(8) +
        `   ${acc === null ? "-" : pct(acc)}`,
    );
  });
  if (s.perWriter && s.worstWriter) {
    const width = Math.max(6, ...s.perWriter.map((w) => w.writer.length));
    lines.push("", `per writer (${s.perWriter.length}; worst: ${s.worstWriter.writer}, ${pct(s.worstWriter.accuracy)})`);
    lines.push(`  ${"writer".padEnd(width)}  samples  correct  accuracy`);
    for (const w of s.perWriter)
      lines.push(`  ${w.writer.padEnd(width)}  ${String(w.samples).padStart(7)}  ${String(w.correct).padStart(7)}  ${pct(w.accuracy).padStart(8)}`);
  }
  return lines.join("\n");
}
