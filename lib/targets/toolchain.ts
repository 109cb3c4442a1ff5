/** Finding the external tools (compilers, emulators) the C targets need; lib/run.ts runs them. */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** The tool's path on PATH, or undefined (no process is started). */
export function which(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, tool);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}
