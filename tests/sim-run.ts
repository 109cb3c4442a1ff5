/**
 * Running `bnn sim --json` from a test, and checking that a run cleaned up after itself: the
 * checks look only at what that run started (the PIDs and the hub port its JSON names).
 */
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { loadTables } from "../lib/export/load-tables.ts";
import { tablesPath } from "../lib/paths.ts";
import { bnn } from "./run-bnn.ts";

export const BIN = fileURLToPath(new URL("../bin/bnn.mjs", import.meta.url));
/** The model ids as the program and the classifier device report them: from the shipped tables. */
export const id32 = (name: string) => loadTables(tablesPath(name)).MODEL_ID.slice(0, 8);

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

export interface Line {
  hub?: { url: string; port: number };
  process?: { name: string; pid: number };
  seq?: number;
  backend?: string;
  reference?: boolean;
  summary?: { results: number; agreeWithReference: number };
}

export interface Run {
  lines: Line[];
  pids: number[];
  port: number;
}

export function parseRun(stdout: string): Run {
  const lines = stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
  return { lines, pids: lines.flatMap((l) => (l.process ? [l.process.pid] : [])), port: lines.find((l) => l.hub)?.hub?.port ?? -1 };
}

/** Nothing this run started is still running, and its hub's port is free again. */
export async function expectCleanedUp(run: Run): Promise<void> {
  expect(run.pids.length).toBeGreaterThan(0);
  for (let t = 0; t < 40 && run.pids.some(alive); t++) await new Promise((r) => setTimeout(r, 100));
  expect(run.pids.filter(alive)).toEqual([]);
  expect(await portFree(run.port)).toBe(true);
}

/**
 * `bnn sim --json` with `args`: it prints a line as each digit's result arrives, so it is stopped
 * when two minutes pass without one (a stuck board), however long the whole run takes.
 */
export async function runSim(args: string[]): Promise<Run> {
  const r = await bnn(["sim", "--json", ...args], {}, { idleMs: 120_000 });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return parseRun(r.stdout);
}

export function expectAllOnceAndExact(run: Run, count: number): Line[] {
  const results = run.lines.filter((l) => l.seq !== undefined);
  expect(results.map((x) => x.seq).sort((a, b) => a! - b!)).toEqual([...Array(count).keys()]);
  expect(results.every((x) => x.reference)).toBe(true);
  expect(run.lines[run.lines.length - 1].summary).toMatchObject({ results: count, agreeWithReference: count });
  return results;
}
