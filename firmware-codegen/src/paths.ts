/** Where the generator's files live: the hand-written C and the generated C, one folder per model. */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GENERATED_C_DIR } from "../../host/lib/paths.ts";

export const CODEGEN_DIR = fileURLToPath(new URL("../", import.meta.url));
/** Hand-written C the generated code and the harnesses use. */
export const C_DIR = join(CODEGEN_DIR, "c");
/** Generated C (and its WebAssembly build), one folder per shipped model: host/lib/paths.ts names it (the output guard keeps other commands out). */
export { GENERATED_C_DIR };

export function generatedDir(model: string): string {
  return join(GENERATED_C_DIR, model);
}
