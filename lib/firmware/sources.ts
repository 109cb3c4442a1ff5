/**
 * The C a firmware needs for the classifier service and one model — the one list `bnn firmware`
 * copies and docs/service.md describes: the hand-written C the model and the service run with
 * (firmware-codegen/c/*.{h,c}: layers, convolution, popcount, rasterizer, camera preprocessing),
 * the service and its jacdac-c adapter (c/service/, without its tests and fuzzer, which have
 * their own main), and the model's generated C.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { C_DIR } from "../paths.ts";

export interface FirmwareSource {
  /** The file's name in the firmware's bnn/ folder. */
  name: string;
  text: string;
}

/** The service's files in c/service/ (the rest of that folder is its tests and fuzzer). */
export const SERVICE_FILES = ["bnn_service.h", "bnn_service.c", "jd_bnn_classifier.c"] as const;

/** The sources for the model whose generated C is in `modelDir`, sorted by name. */
export function firmwareSources(modelDir: string): FirmwareSource[] {
  const runtime = readdirSync(C_DIR, { withFileTypes: true })
    .filter((d) => d.isFile() && /\.[ch]$/.test(d.name))
    .map((d) => join(C_DIR, d.name));
  const paths = [...runtime, ...SERVICE_FILES.map((f) => join(C_DIR, "service", f)), join(modelDir, "bnn_model.h"), join(modelDir, "bnn_model.c")];
  return paths.map((p) => ({ name: p.slice(p.lastIndexOf("/") + 1), text: readFileSync(p, "utf8") })).sort((a, b) => a.name.localeCompare(b.name));
}
