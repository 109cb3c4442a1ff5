/**
 * Flash and RAM of the classifier service and the model in each configuration of the service
 * (c/service/bnn_service.h: touch-only, camera-only, both), for `bnn report`. Each configuration
 * is a real link for the Cortex-M0+ (arm-none-eabi-gcc -O2, as the model's own footprint, with
 * -ffunction-sections -fdata-sections; ld --gc-sections from c/harness/service_size_main.c, which
 * calls what the jacdac adapter calls), so a function or buffer no command reaches is not
 * counted. The link map names the object every kept input section came from: that splits the
 * image into the model, the service core, the rasterizer, the camera preprocessing and libgcc,
 * and the parts add up to the image's section sizes.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { C_DIR } from "../paths.ts";
import { run } from "../run.ts";
import { SERVICE_CONFIGS } from "../targets/targets.ts";

/** Bytes of one part of a link: flash = text + rodata + data (its initial values), RAM = data + bss. */
export interface LinkBytes {
  text: number;
  rodata: number;
  data: number;
  bss: number;
  flash: number;
  ram: number;
}

export type PartName = "model" | "service core" | "rasterizer" | "camera preprocessing" | "libgcc" | "measuring entry" | "alignment";

export interface ServicePart extends LinkBytes {
  part: PartName;
}

export interface ConfigFootprint {
  /** touch-only, camera-only, both (lib/targets/targets.ts SERVICE_CONFIGS). */
  name: string;
  commands: string;
  defines: string[];
  /** The upload buffer of load (bnn_service_upload) in the link; the upload_capacity register. */
  uploadBytes: number;
  /** Every part of the link; they add up to `image`. */
  parts: ServicePart[];
  /** The linked image's allocated sections (arm-none-eabi-size -A). */
  image: { flash: number; ram: number };
  /** The model's C (bnn_model.c): its tables, code and static buffers. */
  model: { flash: number; ram: number };
  /** Everything the service adds to the model: the image without the model and the measuring entry. */
  service: { flash: number; ram: number };
}

export interface ServiceFootprint {
  target: string;
  configurations: ConfigFootprint[];
}

const CFLAGS = ["-std=c99", "-O2", "-mcpu=cortex-m0plus", "-mthumb", "-ffreestanding", "-ffunction-sections", "-fdata-sections"];
const TARGET = "Cortex-M0+ (arm-none-eabi-gcc -O2 -ffunction-sections -fdata-sections, ld --gc-sections)";
const ENTRY = join(C_DIR, "harness", "service_size_main.c");

function bytes(text: number, rodata: number, data: number, bss: number): LinkBytes {
  return { text, rodata, data, bss, flash: text + rodata + data, ram: data + bss };
}

function partOf(file: string): PartName | undefined {
  if (/libgcc\.a\(/.test(file)) return "libgcc";
  const parts: Record<string, PartName> = { "bnn_model.o": "model", "bnn_service.o": "service core", "service_size_main.o": "measuring entry" };
  const name = basename(file);
  // the rasterizer and the preprocessing are a pipeline and its steps each (bnn_raster_steps.c, bnn_preprocess_ink.c, …)
  if (/^bnn_raster(_\w+)?\.o$/.test(name)) return "rasterizer";
  if (/^bnn_preprocess(_\w+)?\.o$/.test(name)) return "camera preprocessing";
  return parts[name];
}

function kindOf(section: string): keyof Pick<LinkBytes, "text" | "rodata" | "data" | "bss"> | undefined {
  if (/^\.text/.test(section)) return "text";
  if (/^\.(rodata|ARM\.exidx|ARM\.extab)/.test(section)) return "rodata";
  if (/^\.data/.test(section)) return "data";
  if (/^(\.bss|COMMON)/.test(section)) return "bss";
  return undefined; // debug information, comments, attributes: not in the image
}

/**
 * The parts of a GNU ld map (-Map): each input section kept in the image ("Linker script and
 * memory map"; the discarded ones are listed before it) counted for its object, `*fill*`
 * alignment bytes for the output section they pad. An input section's name stands alone on its
 * line when it is long, its address, size and file then follow on the next.
 */
export function mapParts(map: string): ServicePart[] {
  const start = map.indexOf("Linker script and memory map");
  if (start < 0) throw new Error("not a GNU ld map: no 'Linker script and memory map'");
  const sums = new Map<PartName, Record<"text" | "rodata" | "data" | "bss", number>>();
  const add = (part: PartName, kind: "text" | "rodata" | "data" | "bss", size: number) => {
    const s = sums.get(part) ?? { text: 0, rodata: 0, data: 0, bss: 0 };
    s[kind] += size;
    sums.set(part, s);
  };
  let output = ""; // the output section being listed
  let pending = ""; // an input section's name on a line of its own
  for (const line of map.slice(start).split("\n")) {
    const out = /^(\.\S+|COMMON)(\s|$)/.exec(line);
    if (out) output = out[1];
    const fill = /^ \*fill\*\s+0x[0-9a-f]+\s+0x([0-9a-f]+)/.exec(line);
    const input = /^ (\S+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$/.exec(line);
    if (fill) {
      const kind = kindOf(output);
      if (kind) add("alignment", kind, parseInt(fill[1], 16));
    } else if (input && (input[1] ?? pending)) {
      const kind = kindOf(input[1] ?? pending);
      const part = partOf(input[3].trim());
      if (kind && part) add(part, kind, parseInt(input[2], 16));
      else if (kind && parseInt(input[2], 16) > 0) throw new Error(`link map: ${input[2]} bytes of ${input[1] ?? pending} from an unexpected file ${input[3]}`);
    }
    pending = /^ (\S+)\s*$/.test(line) && !/^ \*/.test(line) ? line.trim() : "";
  }
  return [...sums].map(([part, s]) => ({ part, ...bytes(s.text, s.rodata, s.data, s.bss) }));
}

/** The allocated sections of an ELF (arm-none-eabi-size -A): flash and RAM of the whole image. */
async function imageBytes(elf: string): Promise<{ flash: number; ram: number }> {
  const out = (await run("arm-none-eabi-size", ["-A", elf])).stdout.toString("utf8");
  let flash = 0;
  let ram = 0;
  for (const line of out.split("\n")) {
    const m = /^(\.\S+)\s+(\d+)\s+\d+/.exec(line);
    if (!m) continue;
    const kind = kindOf(m[1]);
    const size = Number(m[2]);
    if (kind === "text" || kind === "rodata" || kind === "data") flash += size;
    if (kind === "data" || kind === "bss") ram += size;
  }
  return { flash, ram };
}

/** Size of a symbol in an ELF (arm-none-eabi-nm -S), 0 when it is not there. */
async function symbolSize(elf: string, name: string): Promise<number> {
  const nm = (await run("arm-none-eabi-nm", ["-S", elf])).stdout.toString("utf8");
  const m = new RegExp(`^[0-9a-f]+ ([0-9a-f]+) \\w ${name}$`, "m").exec(nm);
  return m ? parseInt(m[1], 16) : 0;
}

const sum = (parts: ServicePart[], key: "flash" | "ram") => parts.reduce((a, p) => a + p[key], 0);

/** Links the model in `modelDir` with the service in every configuration and measures each link (work in `buildDir`). */
export async function serviceFootprint(modelDir: string, buildDir: string): Promise<ServiceFootprint> {
  const includes = [`-I${C_DIR}`, `-I${join(C_DIR, "service")}`, `-I${modelDir}`];
  const compile = (src: string, dir: string, defines: string[]) =>
    run("arm-none-eabi-gcc", [...CFLAGS, ...defines, ...includes, "-c", src, "-o", join(dir, basename(src).replace(/\.c$/, ".o"))]);
  const configurations = await Promise.all(
    SERVICE_CONFIGS.map(async (c): Promise<ConfigFootprint> => {
      const dir = join(buildDir, `service-${c.name}`);
      mkdirSync(dir, { recursive: true });
      const sources = [join(modelDir, "bnn_model.c"), ...c.sources, ENTRY];
      await Promise.all(sources.map((src) => compile(src, dir, c.defines)));
      const elf = join(dir, "service.elf");
      const map = join(dir, "service.map");
      const objects = sources.map((src) => join(dir, basename(src).replace(/\.c$/, ".o")));
      await run("arm-none-eabi-gcc", [
        "-mcpu=cortex-m0plus",
        "-mthumb",
        "-nostdlib",
        "-Wl,--gc-sections",
        "-Wl,-e,bnn_size_entry",
        `-Wl,-Map,${map}`,
        ...objects,
        "-lgcc",
        "-o",
        elf,
      ]);
      const parts = mapParts(readFileSync(map, "utf8"));
      const image = await imageBytes(elf);
      const model = parts.find((p) => p.part === "model") ?? bytes(0, 0, 0, 0);
      const entry = parts.filter((p) => p.part === "measuring entry");
      return {
        name: c.name,
        commands: c.commands,
        defines: c.defines,
        uploadBytes: await symbolSize(elf, "bnn_service_upload"),
        parts,
        image,
        model: { flash: model.flash, ram: model.ram },
        service: { flash: image.flash - model.flash - sum(entry, "flash"), ram: image.ram - model.ram - sum(entry, "ram") },
      };
    }),
  );
  return { target: TARGET, configurations };
}

/** The report's table of the service's configurations. */
export function serviceFootprintMarkdown(s: ServiceFootprint): string[] {
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  const part = (c: ConfigFootprint, name: PartName) => {
    const p = c.parts.find((q) => q.part === name);
    return p ? `${n(p.flash)} / ${n(p.ram)}` : "—";
  };
  return [
    `**The classifier service with the model** (flash / RAM in bytes per configuration of c/service/bnn_service.h; ${s.target}; flash = text + rodata + data, RAM = data + bss, stack not included):`,
    "",
    "| configuration | commands | upload buffer | model | service (all it adds) | service core | rasterizer | camera preprocessing | libgcc | image |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...s.configurations.map(
      (c) =>
        `| ${c.name} (${c.defines.join(" ") || "no defines"}) | ${c.commands} | ${n(c.uploadBytes)} | ${n(c.model.flash)} / ${n(c.model.ram)} | ${n(c.service.flash)} / ${n(c.service.ram)} | ${part(c, "service core")} | ${part(c, "rasterizer")} | ${part(c, "camera preprocessing")} | ${part(c, "libgcc")} | ${n(c.image.flash)} / ${n(c.image.ram)} |`,
    ),
  ];
}
