/** Where things live in the repository. */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "./errors.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const MODELS_DIR = join(ROOT, "models");
/** Generated TypeScript weight tables, imported by the DeviceScript program and by Node. */
export const TABLES_DIR = join(ROOT, "src", "models");

/** Generated C inference, one folder per model. */
export const GENERATED_C_DIR = join(ROOT, "firmware-codegen", "generated");
/** Hand-written C the generated code and harnesses use. */
export const C_DIR = join(ROOT, "firmware-codegen", "c");

const NAME = /^[a-z][a-z0-9-]*$/;

/** A shipped model's name (`default`) or a path to a model.json or to the folder holding it. */
export function resolveModelPath(spec: string): string {
  if (NAME.test(spec) && !existsSync(spec)) {
    const path = join(MODELS_DIR, spec, "model.json");
    if (!existsSync(path)) throw new UserError(`no shipped model named '${spec}' (looked for ${path}); give a name or a path`);
    return path;
  }
  const p = isAbsolute(spec) ? spec : resolve(spec);
  if (existsSync(join(p, "model.json"))) return join(p, "model.json");
  if (!existsSync(p)) throw new UserError(`model not found: ${spec}`);
  return p;
}
