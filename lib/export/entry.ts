/**
 * The DeviceScript program's entry point for a shipped model other than the default one:
 * src/generated/models/<name>.main.ts runs src/app.ts with that model's tables (src/main.ts, hand-written,
 * runs the default model). `bnn sim --model <name>` runs it; `devs bundle` takes it for a board.
 */
import { tsHeader } from "./generated-header.ts";
import { join } from "node:path";
import { ROOT, TABLES_DIR } from "../paths.ts";

export const DEFAULT_ENTRY = join(ROOT, "src", "main.ts");

/** The entry of model `name` (src/main.ts for the default model). */
export function programEntry(name: string): string {
  return name === "default" ? DEFAULT_ENTRY : join(TABLES_DIR, `${name}.main.ts`);
}

export function generateEntry(name: string): string {
  return [
    tsHeader("bnn regen", "lib/export/entry.ts", `src/app.ts and src/generated/models/${name}.ts`),
    `// The DeviceScript program (src/app.ts) with the shipped model '${name}' (src/generated/models/${name}.ts),`,
    "// without sample digits: it waits for a touch panel or a camera.",
    `import { PROGRAM_MODEL } from "./${name}"`,
    'import { runApp } from "../../app"',
    "",
    "await runApp(PROGRAM_MODEL)",
    "",
  ].join("\n");
}
