/**
 * The C a firmware needs for the classifier service and one model — the one list `bnn firmware`
 * copies and docs/service.md describes: the hand-written C the model and the service run with
 * (firmware-codegen/c/*.{h,c}: layers, convolution, popcount, rasterizer, camera preprocessing),
 * the service and its jacdac-c adapter (c/service/, without its tests and fuzzer, which have
 * their own main), and the model's generated C.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { C_DIR } from "../paths.ts";
import { runtimeCFiles } from "../targets/targets.ts";

export interface FirmwareSource {
  /** The file's name in the firmware's bnn/ folder. */
  name: string;
  text: string;
}

/** The inputs a build's service takes (c/service/bnn_service.h: BNN_SERVICE_STROKES, BNN_SERVICE_FRAMES). */
export type ServiceInputs = "touch" | "camera" | "both";
export const SERVICE_INPUTS: readonly ServiceInputs[] = ["touch", "camera", "both"];

/** The C a build without that input leaves out: the rasterizer (touch), the camera preprocessing. */
const INPUT_FILES: Record<"touch" | "camera", RegExp> = { touch: /^bnn_raster/, camera: /^bnn_preprocess/ };

/** The defines that make the service serve `inputs` (none for both: the header's default). */
export function serviceDefines(inputs: ServiceInputs): string[] {
  return inputs === "both" ? [] : [`BNN_SERVICE_STROKES=${inputs === "touch" ? 1 : 0}`, `BNN_SERVICE_FRAMES=${inputs === "camera" ? 1 : 0}`];
}

/** The service's files in c/service/ (the rest of that folder is its tests and fuzzer). */
export const SERVICE_FILES = ["bnn_service.h", "bnn_service.c", "jd_bnn_classifier.c"] as const;

/** The sources for the model whose generated C is in `modelDir` and a service taking `inputs`, sorted by name. */
export function firmwareSources(modelDir: string, inputs: ServiceInputs = "both"): FirmwareSource[] {
  const leftOut = (name: string) => (inputs === "camera" && INPUT_FILES.touch.test(name)) || (inputs === "touch" && INPUT_FILES.camera.test(name));
  const runtime = runtimeCFiles()
    .filter((name) => !leftOut(name))
    .map((name) => join(C_DIR, name));
  const paths = [...runtime, ...SERVICE_FILES.map((f) => join(C_DIR, "service", f)), join(modelDir, "bnn_model.h"), join(modelDir, "bnn_model.c")];
  return paths.map((p) => ({ name: p.slice(p.lastIndexOf("/") + 1), text: readFileSync(p, "utf8") })).sort((a, b) => a.name.localeCompare(b.name));
}
