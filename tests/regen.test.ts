/**
 * Every generated file the repository commits (host/cli/generated.ts) is what its sources
 * generate now: weight tables, C, the wasm build's recorded inputs, model pictures, sample
 * digits, DeviceScript fixtures. One list, one command (`bnn regen`), one check: `bnn regen
 * --check --json` runs once (in a child process: the model pictures evaluate each model on the
 * whole test set), and each file's status is a test of its own.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { generatedFiles } from "../host/cli/generated.ts";
import { bnn } from "./run-bnn.ts";

interface CheckOutput {
  files: { paths: string[]; status: string }[];
  stale: number;
}

describe("generated files", () => {
  let check: { code: number; stderr: string; out: CheckOutput };
  beforeAll(async () => {
    const r = await bnn(["regen", "--check", "--json"]);
    check = { code: r.code, stderr: r.stderr, out: JSON.parse(r.stdout || "{}") as CheckOutput };
  });

  it.each(generatedFiles().map((f) => [f.paths.join(", "), f.paths] as const))("%s is fresh (regenerate: npm run bnn -- regen)", (_name, paths) => {
    expect(check.out.files.find((f) => f.paths.join() === paths.join())?.status).toBe("fresh");
  });

  it("bnn regen --check agrees and names what it checked", () => {
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);
    expect(check.out.stale).toBe(0);
    expect(check.out.files.flatMap((f) => f.paths)).toEqual(generatedFiles().flatMap((f) => f.paths));
  });
});
