/**
 * What a firmware build needs that is not there — tools and the checkout's submodules — found
 * before anything is changed, each with what to do about it. Nothing here downloads: the
 * firmware repositories' own Makefiles fetch submodules and build the DeviceScript CLI with
 * yarn, which `bnn firmware` does without (the project's own `devs` does the patching).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { run } from "../run.ts";
import { which } from "../targets/toolchain.ts";
import type { FirmwareLayout } from "./layout.ts";

export interface Missing {
  what: string;
  /** What to do about it, in a few words. */
  fix: string;
}

const SUBMODULES = "git submodule update --init (and --recursive in devicescript/)";

/**
 * A file of each submodule the build compiles, so none is found missing a minute into the build:
 * the DeviceScript runtime's own (jacdac-c and its spec, tiny-AES-c, sha-2) and, for the pico,
 * the SDK with TinyUSB (not its Pico W drivers).
 */
const RUNTIME_FILES = [
  "devicescript/runtime/devicescript/CMakeLists.txt",
  "devicescript/runtime/jacdac-c/jacdac/README.md",
  "devicescript/runtime/devicescript/network/tiny-AES-c/aes.c",
  "devicescript/runtime/devicescript/sha-2/sha-256.c",
];
const SUBMODULE_FILES: Record<FirmwareLayout["kind"], string[]> = {
  "devicescript-pico": ["pico-sdk/pico_sdk_init.cmake", "pico-sdk/lib/tinyusb/src/tusb.h", ...RUNTIME_FILES],
  "devicescript-esp32": RUNTIME_FILES,
};

/** Whether arm-none-eabi-g++ finds the C++ library headers the pico-sdk includes (new_delete.cpp: <cstdlib>). */
async function armCxxHeaders(): Promise<boolean> {
  const r = await run("arm-none-eabi-g++", ["-x", "c++", "-E", "-o", "/dev/null", "-"], { input: "#include <cstdlib>\n", allowFail: true, timeoutMs: 30_000 });
  return r.code === 0;
}

export async function missingForBuild(layout: FirmwareLayout): Promise<Missing[]> {
  const missing: Missing[] = [];
  const tool = (name: string, fix: string) => {
    if (!which(name)) missing.push({ what: name, fix });
  };
  if (layout.kind === "devicescript-pico") {
    tool("cmake", "apt install cmake");
    tool("make", "apt install make");
    tool("arm-none-eabi-gcc", "apt install gcc-arm-none-eabi");
    tool("arm-none-eabi-g++", "apt install gcc-arm-none-eabi");
    if (which("arm-none-eabi-g++") && !(await armCxxHeaders()))
      missing.push({ what: "the ARM C++ library headers", fix: "apt install libstdc++-arm-none-eabi-newlib" });
  } else {
    if (!process.env.IDF_TOOLS_EXPORT_CMD || !which("idf.py"))
      missing.push({ what: "ESP-IDF (idf.py)", fix: "install ESP-IDF and run `. $IDF_PATH/export.sh`" });
    tool("esptool.py", "comes with ESP-IDF's export.sh");
  }
  for (const f of SUBMODULE_FILES[layout.kind]) {
    if (!existsSync(join(layout.dir, f))) missing.push({ what: f, fix: SUBMODULES });
  }
  return missing;
}

/** The one line a user reads when something is missing. */
export function missingLine(missing: Missing[]): string {
  const fixes = [...new Set(missing.map((m) => m.fix))];
  return `cannot build: missing ${missing.map((m) => m.what).join(", ")} — ${fixes.join("; ")}`;
}
