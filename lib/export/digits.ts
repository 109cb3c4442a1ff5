/**
 * Sample digits for the DeviceScript program and its tests: the first N images of the official
 * MNIST test set, raw grayscale (the program does its own preprocessing), as `hex` buffers.
 */
import { tsHeader } from "./generated-header.ts";
import { join } from "node:path";
import { IMAGE_PIXELS, type MnistSet } from "../mnist.ts";
import type { Model } from "../model/format.ts";
import { classify } from "../model/infer.ts";
import { packPixels } from "../model/input.ts";
import { GENERATED_TS_DIR } from "../paths.ts";

/** The generated module. */
export const DIGITS_PATH = join(GENERATED_TS_DIR, "digits.ts");
/** Sample digits compiled into the program. */
export const SAMPLE_DIGITS = 40;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
}

/** The module text; `model`'s packed inputs and integer scores of each digit are included as the
 * expectations of the DeviceScript tests (src/bnn.test.ts). */
export function generateDigits(set: MnistSet, count: number, model: Model): string {
  const bits: string[] = [];
  const scores: string[] = [];
  for (let i = 0; i < count; i++) {
    const packed = packPixels(set.images, model.input.threshold, IMAGE_PIXELS, i * IMAGE_PIXELS);
    bits.push("  " + hex(new Uint8Array(packed.buffer)));
    scores.push("  " + hex(new Uint8Array(classify(model, packed).scores.buffer)));
  }
  const lines = [
    tsHeader("bnn regen", "lib/export/digits.ts", `the MNIST test set (images 0..${count - 1}) and models/default`),
    "// Regenerate: npm run bnn -- regen",
    "",
    `export const DIGIT_COUNT = ${count}`,
    "export const DIGIT_WIDTH = 28",
    "export const DIGIT_HEIGHT = 28",
    "/** Labels, one byte per digit. */",
    `export const DIGIT_LABELS = hex\`${hex(set.labels.subarray(0, count))}\``,
    "/** Grayscale pixels (0 = background), row-major, 784 bytes per digit, one digit a line. */",
    "export const DIGIT_PIXELS = hex`",
    ...Array.from({ length: count }, (_, i) => "  " + hex(set.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS))),
    "`",
    `/** The reference's expectations for model ${model.file.name} (${model.id}). */`,
    `export const EXPECTED_MODEL_ID = "${model.id}"`,
    "/** Packed input bits of each digit (model input threshold), 100 bytes a line. */",
    "export const EXPECTED_BITS = hex`",
    ...bits,
    "`",
    "/** Integer scores of each digit (int32 little-endian), 40 bytes a line. */",
    "export const EXPECTED_SCORES = hex`",
    ...scores,
    "`",
    "/** The samples as the program takes them (src/app.ts, SampleDigits). */",
    "export const SAMPLE_DIGITS = { DIGIT_COUNT, DIGIT_LABELS, DIGIT_PIXELS }",
    "",
  ];
  return lines.join("\n");
}
