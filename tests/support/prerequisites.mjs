#!/usr/bin/env node
// What `npm test` needs on a fresh machine, set up before it runs (npm's `pretest`): the system
// packages of the test suite's toolchains and emulators, and node_modules. Plain Node, no
// dependencies: it runs before `npm ci`.
//
// As root on Debian it installs what is missing (apt-get); otherwise it names it in one line and
// exits 1. node_modules is installed by `npm ci` when it is missing; an existing one is left alone.
// BNN_SKIP_PREREQUISITES=1 skips all of it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Debian package → a command it provides (checked where there is no dpkg) and why the tests need it. */
export const SYSTEM_PACKAGES = [
  ["gcc", "gcc", "host builds of the generated C, the service and the harnesses (ASan/UBSan)"],
  ["clang", "clang", "the clang host backend, wasm32 builds, libFuzzer"],
  ["lld", "wasm-ld", "links the wasm32 builds"],
  ["libclang-rt-14-dev", undefined, "clang's sanitizer and libFuzzer runtime"],
  ["gcc-arm-none-eabi", "arm-none-eabi-gcc", "Cortex-M0 and RP2040 builds"],
  ["gcc-riscv64-unknown-elf", "riscv64-unknown-elf-gcc", "rv32imc builds"],
  ["gcc-xtensa-lx106", "xtensa-lx106-elf-gcc", "Xtensa LX106 builds"],
  ["qemu-system-arm", "qemu-system-arm", "runs the Cortex-M0 builds (-M microbit)"],
  ["qemu-system-misc", "qemu-system-riscv32", "runs the rv32imc and LX106 builds"],
  ["socat", "socat", "pseudo-terminal pairs for bnn monitor's tests"],
  ["chromium", "chromium", "the drawing page's end-to-end test"],
];

function say(line) {
  process.stderr.write(`npm test: ${line}\n`);
}

function missingPackages() {
  const dpkg = spawnSync("dpkg-query", ["--version"], { stdio: "ignore" });
  if (dpkg.error || dpkg.status !== 0) {
    // not Debian: look for the commands instead
    return SYSTEM_PACKAGES.filter(([, cmd]) => cmd && spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status !== 0).map(([p]) => p);
  }
  // one query for all: a line "<package> <status>" for each package dpkg knows
  const names = SYSTEM_PACKAGES.map(([p]) => p);
  const r = spawnSync("dpkg-query", ["-W", "-f=${Package} ${Status}\\n", ...names], { encoding: "utf8" });
  const installed = new Set(
    r.stdout
      .split("\n")
      .filter((l) => / installed$/.test(l))
      .map((l) => l.split(" ")[0]),
  );
  return names.filter((p) => !installed.has(p));
}

function runOrExit(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (r.error || r.status !== 0) {
    say(`${what} failed (${r.error ? r.error.message : `exit ${r.status}`})`);
    process.exit(1);
  }
}

function systemPackages() {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasApt = spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
  if (!isRoot || !hasApt) {
    say(`missing system packages: ${missing.join(" ")} (as root: apt-get install --no-install-recommends ${missing.join(" ")})`);
    process.exit(1);
  }
  say(`installing ${missing.join(" ")} (apt-get)`);
  runOrExit("apt-get", ["update", "-qq"], "apt-get update");
  runOrExit("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], "apt-get install");
}

function nodeModules() {
  // npm writes node_modules/.package-lock.json on every install: its absence means no install
  if (existsSync(join(ROOT, "node_modules", ".package-lock.json"))) return;
  say("no node_modules: npm ci");
  runOrExit("npm", ["ci", "--no-audit", "--no-fund"], "npm ci");
}

if (process.env.BNN_SKIP_PREREQUISITES !== "1") {
  systemPackages();
  nodeModules();
}
