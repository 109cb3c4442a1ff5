/**
 * The picture of the drawing page in the README (docs/draw.png), taken once by hand, not by the
 * tests (latency figures differ from run to run, so a test writing it would change it each time):
 *
 *   node --import tsx tests/draw-screenshot.ts [docs/draw.png]
 *
 * Starts `bnn sim --draw`, draws MNIST test digit 0 on the page with the mouse in headless
 * chromium, waits for the board's result, takes the picture, and stops the simulator with Ctrl-C.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadMnist } from "../lib/mnist.ts";
import { strokesFromImage } from "../lib/strokes/from-image.ts";
import { drawStrokes, launchChromium, startDrawSim } from "./draw-page.ts";

const out = resolve(process.argv[2] ?? "docs/draw.png");
const dir = mkdtempSync(join(tmpdir(), "bnn-draw-shot-"));
const sim = startDrawSim(["--save", join(dir, "s.jsonl")]);
const browser = await launchChromium();
try {
  const { url } = (await sim.line((l) => "draw" in l)).draw as { url: string };
  const page = await browser.newPage({ viewport: { width: 1240, height: 700 } });
  await page.goto(url);
  await page.waitForSelector("body[data-ready='1']");
  await page.locator("#auto").uncheck();
  await drawStrokes(page, strokesFromImage(loadMnist("test").images, 0));
  await page.locator("#classify").click();
  await page.waitForSelector("#result[data-seq='0']");
  await page.locator("#auto").check();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  sim.child.kill("SIGINT");
  await sim.closed;
  rmSync(dir, { recursive: true, force: true });
}
