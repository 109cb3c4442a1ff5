/**
 * The build of the CNN training kernels (conv-kernels.c -> conv-kernels.wasm, WebAssembly SIMD):
 * committed with conv-kernels.wasm.sha256, the SHA-256 of the flags and the source it was built
 * from, so training needs no C toolchain and `bnn regen --check` notices a stale build.
 */
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const DIR = fileURLToPath(new URL(".", import.meta.url));
export const CONV_KERNELS_SOURCE = join(DIR, "conv-kernels.c");
export const CONV_KERNELS_BUILD = join(DIR, "conv-kernels.wasm");
export const CONV_KERNELS_HASH = join(DIR, "conv-kernels.wasm.sha256");

/** clang flags: wasm32, SIMD and bulk memory (memset/memcpy as instructions), no libc, imported memory. */
export const CONV_KERNELS_FLAGS = [
  "--target=wasm32",
  "-O3",
  "-msimd128",
  "-mbulk-memory",
  "-nostdlib",
  "-ffp-contract=off",
  "-Wall",
  "-Wextra",
  "-Werror",
  "-Wl,--no-entry",
  "-Wl,--export-all",
  "-Wl,--import-memory",
];

export function convKernelsHash(): string {
  return createHash("sha256").update(JSON.stringify(CONV_KERNELS_FLAGS)).update(readFileSync(CONV_KERNELS_SOURCE)).digest("hex");
}

export function convKernelsFresh(): boolean {
  return existsSync(CONV_KERNELS_BUILD) && existsSync(CONV_KERNELS_HASH) && readFileSync(CONV_KERNELS_HASH, "utf8").trim() === convKernelsHash();
}

/** Builds with the system clang; false when clang or wasm-ld is missing. */
export function buildConvKernels(): boolean {
  for (const tool of ["clang", "wasm-ld"]) if (spawnSync(tool, ["--version"], { stdio: "ignore" }).error) return false;
  const tmp = mkdtempSync(join(tmpdir(), "bnn-conv-kernels-"));
  try {
    const out = join(tmp, "conv-kernels.wasm");
    const r = spawnSync("clang", [...CONV_KERNELS_FLAGS, CONV_KERNELS_SOURCE, "-o", out], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`clang failed on conv-kernels.c: ${(r.stderr || "").split("\n").slice(0, 3).join(" | ")}`);
    writeFileSync(CONV_KERNELS_BUILD, readFileSync(out));
    writeFileSync(CONV_KERNELS_HASH, convKernelsHash() + "\n");
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
