/**
 * Every generated file the repository commits (host/cli/generated.ts) is what its sources
 * generate now: weight tables, C, the wasm build's recorded inputs, model pictures, sample
 * digits, DeviceScript fixtures. One list, one command (`bnn regen`), one check.
 */
import { describe, expect, it } from "vitest";
import { generatedFiles } from "../host/cli/generated.ts";
import { bnn } from "./run-bnn.ts";

describe("generated files", () => {
  it.each(generatedFiles().map((f) => [f.paths.join(", "), f] as const))("%s is fresh (regenerate: npm run bnn -- regen)", async (_name, f) => {
    expect(await f.status()).toBe("fresh");
  });

  it("bnn regen --check agrees and names what it checked", () => {
    const r = bnn(["regen", "--check", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { files: { paths: string[]; status: string }[]; stale: number };
    expect(out.stale).toBe(0);
    expect(out.files.flatMap((f) => f.paths)).toEqual(generatedFiles().flatMap((f) => f.paths));
  });
});
