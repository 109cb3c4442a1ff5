/**
 * A model's figures on some writers' pen digits, through the board's touch path (no-digit check,
 * rasterizer, reference integer inference): what `bnn classify --strokes` gives for them. The
 * trainer records them for its held-out writers (metrics.json `penValidation`), cross-validation
 * for each fold, and tests/models.test.ts re-measures the recorded ones.
 */
import { ClassifyTally, classifyStrokes, type ClassifySummary } from "../classify.ts";
import type { Model } from "../model/format.ts";
import { penDigits } from "./pen-digits.ts";

export type PenFigures = { writers: string[] } & Pick<
  ClassifySummary,
  "samples" | "correct" | "accuracy" | "perClass" | "confusion" | "noDigit" | "perWriter" | "worstWriter"
>;

/** The figures of `writers`' pen digits; each verdict also goes to `pooled` when given (cross-validation's all-folds figures). */
export function penWriterFigures(model: Model, writers: readonly string[], pooled?: ClassifyTally): PenFigures {
  const wanted = new Set(writers);
  const tally = new ClassifyTally();
  for (const s of penDigits()) {
    if (s.writer === undefined || !wanted.has(s.writer)) continue;
    const v = classifyStrokes(model, s);
    tally.add(s.label, v, s.writer);
    pooled?.add(s.label, v, s.writer);
  }
  return { writers: [...writers], ...figures(tally.summary()) };
}

/** The summary's parts the pen figures keep. */
export function figures(s: ClassifySummary): Omit<PenFigures, "writers"> {
  const { samples, correct, accuracy, perClass, confusion, noDigit, perWriter, worstWriter } = s;
  return { samples, correct, accuracy, perClass, confusion, noDigit, perWriter, worstWriter };
}
