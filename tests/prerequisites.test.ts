/**
 * `npm test` sets itself up (tests/support/prerequisites.mjs, its pretest step): as root it
 * installs the missing system packages with apt-get; as another user it names them in one line
 * and exits 1. Run here against stand-ins for dpkg-query and apt-get that report every package
 * missing and record what they were asked.
 */
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../lib/run.ts";
import { ROOT } from "../lib/paths.ts";
import { scratchDir } from "./helpers.ts";

const SCRIPT = join(ROOT, "tests", "support", "prerequisites.mjs");
const PACKAGES = "gcc clang lld libclang-rt-14-dev gcc-arm-none-eabi gcc-riscv64-unknown-elf gcc-xtensa-lx106 qemu-system-arm qemu-system-misc socat chromium";
const isRoot = process.getuid?.() === 0;

/** A folder of stand-ins: dpkg-query says no package is installed; apt-get appends its arguments to calls.txt. */
function standIns(): string {
  const dir = scratchDir("prereq");
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  };
  write("dpkg-query", `#!/bin/sh\n[ "$1" = --version ] && exit 0\nprintf 'deinstall ok config-files'\n`);
  write("apt-get", `#!/bin/sh\n[ "$1" = --version ] && exit 0\necho "$@" >> "${join(dir, "calls.txt")}"\n`);
  chmodSync(dir, 0o755);
  return dir;
}

describe("npm test's set-up (tests/support/prerequisites.mjs)", () => {
  it.skipIf(!isRoot)("as root: installs what is missing with apt-get, then leaves an existing node_modules alone", async () => {
    const dir = standIns();
    const r = await run(process.execPath, [SCRIPT], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, allowFail: true });
    expect(r.stderr).toBe(`npm test: installing ${PACKAGES} (apt-get)\n`);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "calls.txt"), "utf8")).toBe(`update -qq\ninstall -y -qq --no-install-recommends ${PACKAGES}\n`);
  });

  it.skipIf(!isRoot)("as another user: names the missing packages in one line, exit 1, installs nothing", async () => {
    const dir = standIns();
    // a copy the other user can read: a clone may sit in a folder only its owner can enter (mktemp -d)
    const script = join(dir, "prerequisites.mjs");
    copyFileSync(SCRIPT, script);
    chmodSync(script, 0o644);
    const r = await run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, script], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
      allowFail: true,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`npm test: missing system packages: ${PACKAGES} (as root: apt-get install --no-install-recommends ${PACKAGES})\n`);
    expect(existsSync(join(dir, "calls.txt"))).toBe(false);
  });

  it("is npm test's pretest step, and CI runs npm test", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toBe("node tests/support/prerequisites.mjs");
    expect(readFileSync(join(ROOT, ".ci", "run"), "utf8")).toMatch(/^npm test$/m);
  });
});
