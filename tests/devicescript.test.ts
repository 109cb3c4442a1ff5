/**
 * The DeviceScript unit tests (@devicescript/test), run in the DeviceScript VM headless
 * (`devs run <file> --test --test-self-exit`, no network port): the bytecode fallback's packing
 * and scores against the TypeScript reference. (The touch and camera suites run their own
 * DeviceScript tests from tests/touch.test.ts and tests/camera.test.ts.)
 */
import { expect, it } from "vitest";
import { devsTest } from "../lib/devs/cli.ts";

it("src/bnn.test.ts passes in the DeviceScript VM", async () => {
  const r = await devsTest("src/bnn.test.ts");
  expect(r.output).toMatch(/tests: 3, pass: 3, error: 0/);
  expect(r.code, r.output.slice(-2000)).toBe(0);
});
