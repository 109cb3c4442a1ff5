/**
 * The two firmware trees `bnn firmware` builds into, recognised by the files it edits: a
 * checkout of microsoft/devicescript-pico (RP2040) or microsoft/devicescript-esp32 (ESP-IDF). In
 * both, jacdac-c calls `app_init_services()` in the application's main.c, and the application's
 * CMakeLists.txt globs its own folder's *.c (docs/service.md, "Adding the service").
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { displayPath } from "../paths.ts";

export type FirmwareKind = "devicescript-pico" | "devicescript-esp32";

export interface FirmwareLayout {
  kind: FirmwareKind;
  /** The checkout's root. */
  dir: string;
  /** The application's folder, relative to dir: `src` (pico) or `main` (esp32). */
  app: string;
  /** The DeviceScript arch ids (boards/*.board.json archId) this firmware builds for. */
  archs: readonly string[];
}

interface Shape {
  kind: FirmwareKind;
  app: string;
  archs: readonly string[];
  /** What the application's CMakeLists.txt must say (the target the sources join). */
  cmake: RegExp;
}

const SHAPES: readonly Shape[] = [
  { kind: "devicescript-pico", app: "src", archs: ["rp2040"], cmake: /add_executable\(\s*devsrunner\b/ },
  { kind: "devicescript-esp32", app: "main", archs: ["esp32", "esp32s2", "esp32s3", "esp32c3"], cmake: /idf_component_register\s*\(/ },
];

/** The line of main.c after which the classifier's init call goes (the DeviceScript services). */
export const INIT_ANCHOR = /^([ \t]*)devs_service_full_init\(\);[^\n]*$/m;

const read = (p: string) => (existsSync(p) && statSync(p).isFile() ? readFileSync(p, "utf8") : undefined);

/** Which firmware `dir` is a checkout of; a clear refusal when it is neither. */
export function detectLayout(dir: string): FirmwareLayout {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`--firmware-dir ${displayPath(dir)}: no such folder`);
  for (const s of SHAPES) {
    const main = read(join(dir, s.app, "main.c"));
    const cmake = read(join(dir, s.app, "CMakeLists.txt"));
    if (main === undefined || cmake === undefined) continue;
    if (!/\bvoid\s+app_init_services\s*\(\s*void\s*\)\s*\{/.test(main))
      throw new UserError(`${displayPath(join(dir, s.app, "main.c"))} has no app_init_services(void): not a ${s.kind} layout bnn firmware knows`);
    if (!INIT_ANCHOR.test(main))
      throw new UserError(
        `${displayPath(join(dir, s.app, "main.c"))}: app_init_services() does not call devs_service_full_init(); on a line of its own, where the classifier's init goes`,
      );
    if (!s.cmake.test(cmake)) throw new UserError(`${displayPath(join(dir, s.app, "CMakeLists.txt"))} does not have the ${s.kind} build (${s.cmake.source})`);
    return { kind: s.kind, dir, app: s.app, archs: s.archs };
  }
  throw new UserError(
    `${displayPath(dir)} is not a devicescript-pico or devicescript-esp32 checkout (no src/main.c + src/CMakeLists.txt, no main/main.c + main/CMakeLists.txt)`,
  );
}
