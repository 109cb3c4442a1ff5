/**
 * `bnn classify`: touch strokes from a file (docs/strokes.md) or an image file through the same
 * input code as the board (no-digit check and rasterizer, or the camera preprocessing) and the
 * reference integer inference. One JSON object per sample on stdout, in input order; with labels,
 * accuracy and a confusion matrix on stderr (with --json: a final {"summary"} line instead).
 * Library code: lib/classify.ts.
 */
import { defineCommand, onlyWith, usageError } from "../lib/args.ts";
import { UserError } from "../lib/errors.ts";
import { outputFile, writeOutput } from "../lib/output.ts";
import {
  ClassifyTally,
  confusionPicture,
  classifyGray,
  classifyImageFile,
  classifyStrokes,
  requireDigitModel,
  summaryText,
  type Verdict,
} from "../lib/classify.ts";
import { readModelFile } from "../lib/model/format.ts";
import { displayPath, resolveModelPath } from "../lib/paths.ts";
import { ProgressBar } from "../lib/report/progress.ts";
import { readStrokeFile } from "../lib/strokes/format.ts";
import { INK_SIDE, inkPicture } from "../lib/strokes/ink.ts";

/** Runs of at least this many samples show a progress bar on stderr. */
const PROGRESS_FROM = 1000;

export const classifyCommand = defineCommand({
  name: "classify",
  summary: "classify touch strokes (a .json/.jsonl file) or an image (PNG, PGM) as the board would",
  usage:
    "Strokes (docs/strokes.md): each sample gets the board's no-digit check, its rasterizer and the reference\n" +
    "inference; one JSON object per sample on stdout. With labels, accuracy and a confusion matrix go to\n" +
    'stderr, or with --json a final {"summary": ...} line to stdout. An image (PNG 8-bit, binary PGM) of any\n' +
    "size and either polarity becomes a camera frame and goes through the board's camera preprocessing.\n" +
    `With --ink PEN, each stroke sample is drawn as dark ink PEN pixels wide on a light ${INK_SIDE}-pixel picture of\n` +
    "its panel and goes through the camera's path instead (the same digits, photographed).",
  options: {
    strokes: { type: "string", description: "stroke file: .jsonl (a sample per line) or .json (a sample or an array)", metavar: "file" },
    image: { type: "string", description: "image file: PNG (8-bit gray, RGB, RGBA, palette) or binary PGM (P5)", metavar: "file" },
    ink: {
      type: "number",
      description: "with --strokes: draw each sample as ink of this pen width (pixels) and classify the picture as a camera frame",
      min: 0.5,
      max: 32,
      metavar: "pen",
    },
    model: { type: "string", description: "shipped model name or path", default: "default", metavar: "name|path" },
    json: { type: "boolean", description: "the summary as a last JSON line on stdout instead of a table on stderr" },
    svg: { type: "string", description: "with --strokes and labels: write the run's confusion matrix (digit and no digit) as an SVG picture", metavar: "file" },
    force: { type: "boolean", description: "overwrite --svg" },
  },
  async run(o, _positionals, given) {
    onlyWith(given, "force", o.svg !== undefined, "only applies with --svg");
    if ((o.strokes === undefined) === (o.image === undefined)) throw usageError("classify: give --strokes FILE or --image FILE (one of them)");
    if (o.ink !== undefined && o.strokes === undefined) throw usageError("classify: --ink draws stroke samples; it needs --strokes FILE");
    if (o.svg !== undefined && o.strokes === undefined)
      throw usageError("classify: --svg draws the confusion matrix of a stroke file's run; it needs --strokes FILE");
    const svg = o.svg === undefined ? undefined : outputFile(o.svg, "--svg", { force: o.force });
    const model = readModelFile(resolveModelPath(o.model));
    requireDigitModel(model);
    const out = (v: unknown) => process.stdout.write(JSON.stringify(v) + "\n");
    if (o.image !== undefined) {
      const v = await classifyImageFile(model, o.image);
      out({ file: displayPath(o.image), ...v });
      return;
    }
    // a sample photographed: the camera path's answer, without the image fields
    const inkVerdict = async (s: Parameters<typeof inkPicture>[0], pen: number): Promise<Verdict> => {
      const { digit, noDigit, scores } = await classifyGray(model, inkPicture(s, pen));
      return { digit, noDigit, scores };
    };
    const samples = readStrokeFile(o.strokes!);
    const tally = new ClassifyTally();
    const bar = samples.length >= PROGRESS_FROM ? new ProgressBar({ label: "classify", total: samples.length, unit: "samples" }) : undefined;
    const lines: string[] = [];
    for (const [index, s] of samples.entries()) {
      const v: Verdict = o.ink === undefined ? classifyStrokes(model, s) : await inkVerdict(s, o.ink);
      tally.add(s.label, v, s.writer);
      lines.push(JSON.stringify({ index, id: s.id ?? null, label: s.label ?? null, ...v, correct: s.label === undefined ? null : v.digit === s.label }));
      if (lines.length >= 256) process.stdout.write(lines.splice(0).join("\n") + "\n");
      bar?.update(index + 1);
    }
    if (lines.length) process.stdout.write(lines.join("\n") + "\n");
    bar?.finish();
    const summary = { model: model.file.name, id: model.id, ...tally.summary() };
    if (svg) {
      if (!summary.confusion) throw new UserError(`--svg: ${displayPath(o.strokes!)} has no labeled sample; a confusion matrix needs labels`);
      writeOutput(
        svg,
        confusionPicture(summary.confusion, `${displayPath(o.strokes!)} — model ${model.file.name}${o.ink === undefined ? "" : `, ink ${o.ink}`}`),
      );
    }
    if (o.json) out({ summary });
    else process.stderr.write(summaryText(summary) + "\n");
  },
});
