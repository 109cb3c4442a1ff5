/**
 * Driving the drawing page of `bnn sim --draw` (lib/draw/page.html) with playwright-core and
 * Debian's chromium: for tests/draw.test.ts and the screenshot script (tests/draw-screenshot.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

// (not sim-run.ts's: that one imports vitest, and the screenshot script runs outside it)
const BIN = fileURLToPath(new URL("../bin/bnn.mjs", import.meta.url));

export const CHROMIUM = process.env.BNN_CHROMIUM ?? "/usr/bin/chromium";
export const PANEL = 240;

/** Chromium, or an error that says how to get it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `chromium is not installed at ${CHROMIUM} (Debian: apt-get install chromium; .ci/run installs it; or set BNN_CHROMIUM to a Chromium binary)`,
    );
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

/** Draws flat strokes (panel coordinates) on the page's canvas with the mouse: down, moves, up. */
export async function drawStrokes(page: Page, strokes: number[][]): Promise<void> {
  const box = (await page.locator("#canvas").boundingBox())!;
  // the centre of panel unit (x, y) on the screen: the page maps it back to (x, y)
  const at = (x: number, y: number): [number, number] => [box.x + ((x + 0.5) * box.width) / PANEL, box.y + ((y + 0.5) * box.height) / PANEL];
  for (const st of strokes) {
    await page.mouse.move(...at(st[0], st[1]));
    await page.mouse.down();
    for (let i = 2; i + 1 < st.length; i += 2) await page.mouse.move(...at(st[i], st[i + 1]));
    await page.mouse.up();
  }
}

export interface DrawSim {
  child: ChildProcess;
  /** The JSON lines printed so far. */
  lines: Record<string, unknown>[];
  /** Resolves with the first line (so far or to come) that `match` accepts. */
  line(match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Starts `bnn sim --draw --json ...args`. */
export function startDrawSim(args: string[]): DrawSim {
  const child = spawn(process.execPath, [BIN, "sim", "--draw", "--json", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  const lines: Record<string, unknown>[] = [];
  const waiting: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buf = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const text = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!text.startsWith("{")) continue;
      const l = JSON.parse(text) as Record<string, unknown>;
      lines.push(l);
      for (const w of waiting.splice(0)) w.match(l) ? w.resolve(l) : waiting.push(w);
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    closed,
    stderr: () => err,
    line: (match) =>
      new Promise((resolve, reject) => {
        const hit = lines.find(match);
        if (hit) return resolve(hit);
        waiting.push({ match, resolve });
        void closed.then(() => reject(new Error(`bnn sim --draw ended first; stderr: ${err.trim().slice(-500)}`)));
      }),
  };
}
