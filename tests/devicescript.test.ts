/**
 * The DeviceScript unit tests (@devicescript/test), run in the DeviceScript VM headless
 * (`devs run <file> --test --test-self-exit`, no network port): the bytecode fallback's packing
 * and scores against the TypeScript reference. (The touch and camera suites run their own
 * DeviceScript tests from tests/touch.test.ts and tests/camera.test.ts.)
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "../host/lib/paths.ts";

it("src/bnn.test.ts passes in the DeviceScript VM", () => {
  const devs = join(ROOT, "node_modules", "@devicescript", "cli", "devicescript");
  const r = spawnSync(process.execPath, [devs, "run", "src/bnn.test.ts", "--test", "--test-self-exit", "--test-timeout", "600000"], { cwd: ROOT, encoding: "utf8" });
  const out = r.stdout + r.stderr;
  expect(out).toMatch(/tests: 3, pass: 3, error: 0/);
  expect(r.status, out.slice(-2000)).toBe(0);
});
