/**
 * A model's figures on some writers' pen digits, through the board's touch path (no-digit check,
 * rasterizer, reference integer inference): what `bnn classify --strokes` gives for them. The
 * trainer records them for its held-out writers (metrics.json `penValidation`), cross-validation
 * for each fold, and tests/models.test.ts re-measures the recorded ones.
 */
import { ClassifyTally, classifyStrokes, type ClassifySummary } from "../classify/run.ts";
import type { Model } from "../model/format.ts";
import { penDigits } from "./pen-digits.ts";

export type PenFigures = { writers: string[] } & Pick<ClassifySummary, "samples" | "correct" | "accuracy" | "perClass" | "confusion" | "noDigit" | "perWriter" | "worstWriter">;

export function penWriterFigures(model: Model, writers: readonly string[]): PenFigures {
  const wanted = new Set(writers);
  const tally = new ClassifyTally();
  for (const s of penDigits()) if (s.writer !== undefined && wanted.has(s.writer)) tally.add(s.label, classifyStrokes(model, s), s.writer);
  const { samples, correct, accuracy, perClass, confusion, noDigit, perWriter, worstWriter } = tally.summary();
  return { writers: [...writers], samples, correct, accuracy, perClass, confusion, noDigit, perWriter, worstWriter };
}
