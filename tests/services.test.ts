/**
 * The service specs (services/*.md) are the one source of every service constant. Node parses
 * them with the same spec tool `devs build` uses (lib/services.ts); this checks the two
 * readings agree. (The C service core's constants are checked against the C the spec tool writes
 * in tests/service.test.ts.)
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../lib/paths.ts";
import { CAMERA, CLASSIFIER, customServiceSpecs, TOUCH } from "../lib/services.ts";

/** .devicescript/services.json, which every devs invocation rewrites in place: read until whole. */
async function devsServices(): Promise<jdspec.ServiceSpec[]> {
  const path = join(ROOT, ".devicescript", "services.json");
  expect(existsSync(path), "run npx devs build (npm install does)").toBe(true);
  for (let attempt = 0; ; attempt++) {
    try {
      return JSON.parse(readFileSync(path, "utf8")) as jdspec.ServiceSpec[];
    } catch (e) {
      if (attempt >= 20) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe("service specs", () => {
  it("parse in Node exactly as devs build compiles them", async () => {
    const strip = (s: jdspec.ServiceSpec) => ({ ...s, catalog: undefined });
    const devs = (await devsServices()).map(strip).sort((a, b) => a.shortId.localeCompare(b.shortId));
    expect(customServiceSpecs().map(strip)).toEqual(devs);
  });

  it("give the codes the simulated devices use", () => {
    expect(CLASSIFIER.serviceClass).toBe(0x1e477ab1);
    expect(CAMERA.serviceClass).toBe(0x1deebedc);
    expect(TOUCH.serviceClass).toBe(0x1bd90fae);
    expect([CLASSIFIER.cmdClassify, CAMERA.cmdCapture, CAMERA.reportFrameChunk, TOUCH.reportSamples]).toEqual([0x80, 0x80, 0x81, 0x80]);
  });
});
