/**
 * The import rules of the layout (README, "Layout"): every arrow runs one way.
 *
 *   src/shared/          imports only src/shared/ (plain TypeScript both runtimes run)
 *   src/ (DeviceScript)  imports src/ and @devicescript/* / @dsboard/* only; src/generated/ is
 *                        what `bnn regen` writes there
 *   lib/                 the library: imports lib/ and src/shared/ (and Node, npm packages)
 *   devices/             imports itself, lib/, src/shared/
 *   cli/                 imports lib/ and src/shared/;  bin/ imports cli/
 *   vitest.config.ts     imports tests/ (the suite's file order) besides lib/ and src/shared/
 *
 * Inside lib/ (issue 22, "A layout that reads one way"):
 *   no import cycle among its modules (type-only imports count: a cycle of types is still two
 *   modules that cannot be read one before the other), and none among its folders either (a
 *   module directly in lib/ counts as a folder of its own): each folder can be read after the
 *   ones it imports;
 *   model/ (the model file, folding, inference) imports nothing from train/: training builds on
 *   the model, never the other way (the trained layers' types live in model/trained.ts).
 *
 * A small scan of every import, export-from, dynamic import() and require() of the project's
 * own code; a test fails naming each file -> target that breaks a rule, and each cycle's files.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../lib/paths.ts";

type Layer = "shared" | "devicescript" | "lib" | "devices" | "cli" | "bin" | "tests" | "other";

function layerOf(path: string): Layer {
  if (path.startsWith("src/shared/")) return "shared";
  if (path.startsWith("src/")) return "devicescript";
  if (path.startsWith("lib/")) return "lib";
  if (path.startsWith("cli/")) return "cli";
  if (path.startsWith("devices/")) return "devices";
  if (path.startsWith("bin/")) return "bin";
  if (path.startsWith("tests/")) return "tests";
  return "other";
}

/** Which layers each layer may import (its own always). */
const ALLOWED: Record<Layer, Layer[]> = {
  shared: [],
  devicescript: ["shared"],
  lib: ["shared"],
  devices: ["lib", "shared"],
  cli: ["lib", "shared"],
  bin: ["cli"],
  tests: ["shared", "devicescript", "lib", "devices", "cli", "bin", "other"],
  other: ["shared", "lib", "tests"],
};

const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP = new Set(["node_modules", ".git", ".devicescript", "generated"]);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name) || name.startsWith(".")) return [];
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : CODE.test(name) ? [p] : [];
  });
}

interface Edge {
  from: string;
  to: string;
  spec: string;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of walk(ROOT)) {
    const from = relative(ROOT, file).split("\\").join("/");
    const text = readFileSync(file, "utf8");
    const re =
      /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|\brequire\(\s*["']([^"']+)["']\s*\)/gm;
    for (const m of text.matchAll(re)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
      const to = spec.startsWith(".")
        ? relative(ROOT, resolve(dirname(file), spec))
            .split("\\")
            .join("/")
        : spec;
      out.push({ from, to, spec });
    }
  }
  return out;
}

function violations(): string[] {
  const bad: string[] = [];
  for (const e of edges()) {
    const a = layerOf(e.from);
    const local = e.spec.startsWith(".");
    if (!local) {
      // packages: DeviceScript code may only use DeviceScript's; shared code uses none
      if (a === "shared") bad.push(`${e.from} -> ${e.spec} (src/shared/ imports nothing outside itself)`);
      if (a === "devicescript" && !/^@devicescript\/|^@dsboard\//.test(e.spec))
        bad.push(`${e.from} -> ${e.spec} (DeviceScript code imports only @devicescript/* and @dsboard/*)`);
      continue;
    }
    const b = layerOf(e.to);
    if (a !== b && !ALLOWED[a].includes(b)) bad.push(`${e.from} -> ${e.to}`);
  }
  return bad;
}

/**
 * The imports among lib/'s own modules: file -> the files it imports, both relative to ROOT.
 * With `node`, each file is first mapped to a node of the graph (its folder, say).
 */
function libGraph(node: (file: string) => string = (f) => f): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const e of edges()) {
    if (!e.from.startsWith("lib/") || !e.to.startsWith("lib/")) continue;
    const [a, b] = [node(e.from), node(e.to)];
    if (a === b) continue;
    const to = graph.get(a) ?? [];
    if (!to.includes(b)) to.push(b);
    graph.set(a, to);
  }
  return graph;
}

/** lib/'s folder of a file (lib/train/mlp.ts -> lib/train/); a module directly in lib/ is its own. */
const libFolder = (file: string) => /^lib\/[^/]+\//.exec(file)?.[0] ?? file;

/**
 * The import cycles of a graph, each as the files around it (first file repeated at the end):
 * a depth-first search that reports every edge back into the path it is on. Each cycle is found
 * at least once; the list is empty when the graph has none.
 */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (file: string): void => {
    path.push(file);
    onPath.add(file);
    for (const next of graph.get(file) ?? []) {
      if (onPath.has(next)) found.push([...path.slice(path.indexOf(next)), next]);
      else if (!done.has(next)) visit(next);
    }
    path.pop();
    onPath.delete(file);
    done.add(file);
  };
  for (const file of [...graph.keys()].sort()) if (!done.has(file)) visit(file);
  return found;
}

describe("import rules", () => {
  it("every import runs the way the layout says", () => {
    expect(violations()).toEqual([]);
  });

  it("lib/ has no import cycle", () => {
    expect(cycles(libGraph()).map((c) => c.join(" -> "))).toEqual([]);
  });

  it("lib/'s folders have no import cycle", () => {
    expect(cycles(libGraph(libFolder)).map((c) => c.join(" -> "))).toEqual([]);
  });

  it("lib/model/ imports nothing from lib/train/", () => {
    const up = edges().filter((e) => e.from.startsWith("lib/model/") && e.to.startsWith("lib/train/"));
    expect(up.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it("the cycle search finds a cycle and names its files (negative control)", () => {
    const graph = new Map([
      ["a.ts", ["b.ts", "d.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["d.ts"]],
      ["e.ts", ["a.ts"]],
    ]);
    expect(cycles(graph)).toEqual([
      ["a.ts", "b.ts", "c.ts", "a.ts"],
      ["d.ts", "d.ts"],
    ]);
    expect(
      cycles(
        new Map([
          ["a.ts", ["b.ts"]],
          ["b.ts", []],
        ]),
      ),
    ).toEqual([]);
    // the graph it searches is lib/'s own, type-only imports included
    const lib = libGraph();
    expect(lib.get("lib/model/fold.ts")).toContain("lib/model/trained.ts");
    expect(lib.get("lib/train/presets.ts")).toContain("lib/train/recipe.ts");
    // and the folders' graph: a file's folder, a module in lib/ itself stands alone
    expect(libFolder("lib/train/mlp.ts")).toBe("lib/train/");
    expect(libFolder("lib/paths.ts")).toBe("lib/paths.ts");
    expect(libGraph(libFolder).get("lib/measure/")).toContain("lib/codegen/");
    expect(libGraph(libFolder).get("lib/codegen/")).not.toContain("lib/measure/");
  });

  it("the scan sees the imports it checks (negative control)", () => {
    const all = edges();
    expect(all.length).toBeGreaterThan(200);
    // known edges of each kind: shared from DeviceScript and from Node, the CLI over the library
    expect(all.some((e) => e.from === "src/app.ts" && e.to.startsWith("src/shared/"))).toBe(true);
    expect(all.some((e) => e.from.startsWith("lib/") && e.to.startsWith("src/shared/"))).toBe(true);
    expect(all.some((e) => e.from === "devices/classifier.ts" && e.to === "lib/targets/wasm-abi.ts")).toBe(true);
    // a wrong-way arrow is reported
    expect(ALLOWED.lib.includes(layerOf("devices/touch.ts"))).toBe(false);
    expect(ALLOWED.lib.includes(layerOf("cli/sim.ts"))).toBe(false);
    expect(ALLOWED.shared).toEqual([]);
  });
});
