/**
 * Building a patched firmware checkout the way its Makefile does, without the steps that need
 * the network (submodule updates, yarn building the firmware's copy of the DeviceScript CLI):
 * - devicescript-pico for the plain RP2040 (BUILD_ARCH=rp2040: the Makefile's default is
 *   rp2040w, the Pico W, whose wireless submodules a Waveshare board does not need): the build
 *   folder's config.cmake and version.c, `cmake ../..`, `make` → build/rp2040/src/devsrunner.{elf,uf2};
 * - devicescript-esp32 for the board's chip (its archId is the IDF target): sdkconfig.defaults
 *   from the board files, `idf.py build`, `esptool.py merge_bin` → build/combined.bin.
 * Files are rewritten only when their content changes, so a second build does nothing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { run } from "../run.ts";
import type { FirmwareLayout } from "./layout.ts";

export interface FirmwareBuild {
  /** The image the program is bundled with. */
  image: string;
  /** The linked program, for its flash and RAM figures. */
  elf: string;
}

function writeIfChanged(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, "utf8") === text) return;
  writeFileSync(path, text);
}

/** COMPILE_OPTIONS of the user's Makefile.user, which the firmware's Makefile passes on. */
function compileOptions(dir: string): string {
  const p = join(dir, "Makefile.user");
  if (!existsSync(p)) return "";
  return /^\s*COMPILE_OPTIONS\s*[:?]?=\s*(.*)$/m.exec(readFileSync(p, "utf8"))?.[1].trim() ?? "";
}

/**
 * The firmware's version string: the checkout's release tag and commit (git describe, as
 * jacdac-c's git-version.sh) and the model, but without the minute that script adds to a dirty
 * tree (bnn firmware's own changes make every tree dirty), so a second run builds the same bytes.
 */
async function firmwareVersion(dir: string, modelId: string): Promise<string> {
  const r = await run("git", ["describe", "--tags", "--match", "v[0-9]*", "--always"], { cwd: dir, allowFail: true, timeoutMs: 30_000 });
  const tag = r.code === 0 ? r.stdout.toString("utf8").trim().replace(/^v/, "") : "0.0.0";
  return `${tag}-bnn.${modelId}`;
}

type Log = (line: string) => void;

async function step(log: Log, what: string, cmd: string, args: string[], cwd: string, idleMs = 600_000): Promise<void> {
  log(`${what}: ${cmd} ${args.join(" ")}`);
  const r = await run(cmd, args, { cwd, allowFail: true, timeoutMs: 0, idleMs });
  if (r.code !== 0) {
    const err = `${r.stderr}\n${r.stdout.toString("utf8")}`.split("\n").find((l) => /error/i.test(l)) ?? r.stderr.trim().split("\n").pop();
    const hint = /No such file or directory/.test(err ?? "") ? " (a submodule not checked out? git submodule update --init --recursive)" : "";
    throw new UserError(`${what} failed (${cmd} exit ${r.code}): ${err?.trim() ?? "no output"}${hint}`);
  }
}

export async function buildPico(layout: FirmwareLayout, modelId: string, log: Log): Promise<FirmwareBuild> {
  const build = join(layout.dir, "build", "rp2040");
  mkdirSync(build, { recursive: true });
  writeIfChanged(join(build, "config.cmake"), `add_compile_options(${compileOptions(layout.dir)})\n`);
  writeIfChanged(join(build, "version.c"), `const char app_fw_version[] = "v${await firmwareVersion(layout.dir, modelId)}";\n`);
  await step(log, "configure", "cmake", ["../.."], build);
  await step(log, "build", "make", [`-j${availableParallelism()}`], build);
  const image = join(build, "src", "devsrunner.uf2");
  const elf = join(build, "src", "devsrunner.elf");
  if (!existsSync(image) || !existsSync(elf)) throw new UserError(`the build ended without ${existsSync(elf) ? image : elf}`);
  return { image, elf };
}

export async function buildEsp32(layout: FirmwareLayout, target: string, modelId: string, log: Log): Promise<FirmwareBuild> {
  const dir = layout.dir;
  const sdkconfig = join(dir, "sdkconfig");
  if (existsSync(sdkconfig) && !readFileSync(sdkconfig, "utf8").includes(`CONFIG_IDF_TARGET="${target}"`))
    throw new UserError(`${sdkconfig} is for another chip than ${target}: run \`idf.py fullclean\` and remove sdkconfig first`);
  const defaults = [join(dir, "boards", target, `sdkconfig.${target}`), join(dir, "boards", "sdkconfig.common")];
  for (const f of defaults) if (!existsSync(f)) throw new UserError(`${f} is missing: is ${target} a chip this devicescript-esp32 checkout builds?`);
  writeIfChanged(join(dir, "sdkconfig.defaults"), defaults.map((f) => readFileSync(f, "utf8")).join(""));
  const build = join(dir, "build");
  mkdirSync(build, { recursive: true });
  writeIfChanged(join(build, "options.cmake"), `idf_build_set_property(COMPILE_OPTIONS "${compileOptions(dir)}" APPEND)\n`);
  writeIfChanged(join(build, "version.c"), `const char app_fw_version[] = "v${await firmwareVersion(dir, modelId)}";\n`);
  await step(log, "build", "idf.py", ["build"], dir);
  const bootloaderOffset = /^CONFIG_BOOTLOADER_OFFSET_IN_FLASH=(\S+)/m.exec(readFileSync(sdkconfig, "utf8"))?.[1] ?? "0x1000";
  const image = join(build, "combined.bin");
  await step(
    log,
    "merge",
    "esptool.py",
    [
      "--chip",
      target,
      "merge_bin",
      "-o",
      image,
      "--target-offset",
      bootloaderOffset,
      bootloaderOffset,
      join(build, "bootloader/bootloader.bin"),
      "0x8000",
      join(build, "partition_table/partition-table.bin"),
      "0x10000",
      join(build, "espjd.bin"),
    ],
    dir,
  );
  return { image, elf: join(build, "espjd.elf") };
}
