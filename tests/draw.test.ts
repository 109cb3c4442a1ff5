/**
 * The drawing page (`bnn sim --draw`), end to end in headless chromium: three MNIST test digits
 * drawn as strokes with the mouse go through the page, the host, the simulated touch panel and
 * the program in the DeviceScript VM, and the page shows for each the digit the reference gives
 * for the same strokes (the board's rasterizer + the reference inference on the default model),
 * the 28x28 input and ten bars; Save appends one valid line to the --save file (and keeps what
 * was there); the server takes nothing from another host or origin; Ctrl-C leaves nothing running
 * and frees every port. Cleanup is checked on what this run named (its PIDs, hub and page ports).
 * The page's server alone (no browser): a body over its 1 MiB limit gets a 413 the client reads.
 *
 * Needs chromium (Debian: apt-get install chromium, as .ci/run does); without it the test fails
 * saying so.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { wordBytes } from "../lib/binary.ts";
import { startDrawServer } from "../lib/draw/server.ts";
import { toPoints } from "../lib/draw/strokes.ts";
import { loadMnist } from "../lib/mnist.ts";
import { readModelFile } from "../lib/model/format.ts";
import { classify } from "../lib/model/infer.ts";
import { resolveModelPath } from "../lib/paths.ts";
import { strokesFromImage } from "../lib/strokes/from-image.ts";
import { rasterizeBits } from "../src/shared/stroke-raster.ts";
import { drawStrokes, launchChromium, PANEL, startDrawSim, type DrawSim } from "./draw-page.ts";
import { scratchDir } from "./helpers.ts";
import { bnn, expectOneLineError } from "./run-bnn.ts";
import { expectCleanedUp, parseRun, portFree } from "./sim-run.ts";

const model = readModelFile(resolveModelPath("default"));
const test = loadMnist("test");

/** The reference for strokes: the board's rasterizer, then the reference inference. */
function reference(strokes: number[][]) {
  const words = new Uint32Array(25);
  rasterizeBits(strokes, PANEL, PANEL, wordBytes(words));
  const { scores, digit } = classify(model, words);
  let bits = "";
  for (let e = 0; e < 784; e++) bits += (words[e >> 5] >>> (e & 31)) & 1;
  return { scores: Array.from(scores), digit, bits };
}

/** A request with the headers given (Host included, which fetch does not let one set). */
function raw(port: number, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({ host: "127.0.0.1", port, path, method: body === undefined ? "GET" : "POST", headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    r.on("error", reject);
    r.end(body);
  });
}

/**
 * POSTs `size` bytes of JSON-ish text to /digit, with a Content-Length or chunked (64 KiB
 * chunks), as a real client does: it answers with the response the server gave, even one that
 * came before the whole body was sent.
 */
function post(port: number, size: number, chunked: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (!chunked) headers["content-length"] = String(size);
    const r = request({ host: "127.0.0.1", port, path: "/digit", method: "POST", headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    r.on("error", reject);
    const chunk = Buffer.alloc(64 * 1024, " ");
    let left = size;
    const pump = () => {
      while (left > 0) {
        const part = chunk.subarray(0, Math.min(left, chunk.length));
        left -= part.length;
        if (!r.write(part)) return void r.once("drain", pump);
      }
      r.end();
    };
    pump();
  });
}

let browser: Browser | undefined;
let sim: DrawSim | undefined;
afterAll(async () => {
  await browser?.close();
  if (sim && sim.child.exitCode === null && sim.child.signalCode === null) sim.child.kill("SIGKILL");
});

describe("bnn sim --draw (the drawing page)", () => {
  it("classifies three digits drawn with the mouse as the reference does, shows input and scores, saves one, and cleans up on Ctrl-C", async () => {
    browser = await launchChromium(); // fails first, and says how to install chromium, when it is missing
    const dir = scratchDir("draw");
    const save = join(dir, "drawn.jsonl");
    const before = '{"id":"kept","label":1,"width":240,"height":240,"strokes":[[[120,20],[120,200]]]}\n';
    writeFileSync(save, before);
    sim = startDrawSim(["--save", save]);
    const draw = (await sim.line((l) => "draw" in l)).draw as { url: string; port: number };
    expect(draw.url).toBe(`http://127.0.0.1:${draw.port}/`);

    // another host name (DNS rebinding) or another site's page may not use the server
    expect(await raw(draw.port, "/", { host: `evil.example:${draw.port}` })).toBe(421);
    expect(await raw(draw.port, "/digit", { host: `127.0.0.1:${draw.port}`, origin: "http://evil.example", "content-type": "application/json" }, "{}")).toBe(
      403,
    );
    expect(await raw(draw.port, "/digit", { host: `127.0.0.1:${draw.port}`, "content-type": "text/plain" }, "{}")).toBe(415);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const offsite: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(draw.url)) offsite.push(r.url());
    });
    await page.goto(draw.url);
    await page.waitForSelector("body[data-ready='1']");
    await page.locator("#auto").uncheck();

    // test digits 0, 1, 2 (a 7, a 2, a 1); the last one is sent by the pen-up timer, not the button
    const images = [0, 1, 2];
    for (const [seq, image] of images.entries()) {
      const strokes = strokesFromImage(test.images, image);
      const last = seq === images.length - 1;
      if (last) {
        expect(strokes).toHaveLength(1); // one stroke: no pen-up inside the digit for the timer to end it at
        await page.locator("#auto").check();
      }
      await drawStrokes(page, strokes);
      if (!last) await page.locator("#classify").click();
      await page.waitForSelector(`#result[data-seq='${seq}']`);
      const want = reference(strokes);
      const shown = {
        digit: await page.locator("#digit").getAttribute("data-digit"),
        text: (await page.locator("#digit").textContent())?.trim(),
        bits: await page.locator("#raster").getAttribute("data-bits"),
        bars: await page.locator("#bars .bar").evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.score))),
        line: await page.locator("#line").textContent(),
      };
      expect(shown.digit).toBe(String(want.digit));
      expect(shown.text).toBe(String(want.digit));
      expect(shown.bits).toHaveLength(784);
      expect(shown.bits).toBe(want.bits);
      expect(shown.bars).toEqual(want.scores);
      expect(await page.locator("#barsnote .ok").count()).toBe(1); // the scores' CRC is the board's
      // the digit shown is the board's: its result line, as bnn sim reported it
      const result = await sim.line((l) => l.seq === seq);
      expect(result).toMatchObject({ digit: want.digit, source: "touch", reference: true });
      expect(shown.line).toMatch(new RegExp(`^@bnn2 ${seq} touch ${want.digit} `));
      expect(await page.locator("#facts").textContent()).toMatch(new RegExp(`backend ${result.backend}.*latency ${result.totalMs} ms`));
    }

    // save the last drawing with its label: one line appended, the old one kept
    const label = test.labels[images[images.length - 1]];
    await page.locator("#save").click();
    await page.locator(`#labels button[data-label='${label}']`).click();
    await page.waitForSelector("body[data-saved]");
    const text = readFileSync(save, "utf8");
    expect(text.startsWith(before)).toBe(true);
    const added = text.slice(before.length).trim().split("\n");
    expect(added).toHaveLength(1);
    const sample = JSON.parse(added[0]);
    expect(Object.keys(sample).sort()).toEqual(["height", "id", "label", "strokes", "width"]);
    expect(sample).toMatchObject({ label, width: 240, height: 240 });
    expect(sample.id).toBe(await page.locator("body").getAttribute("data-saved"));
    expect(sample.strokes).toEqual(toPoints(strokesFromImage(test.images, images[images.length - 1])));
    expect(offsite).toEqual([]);

    // Ctrl-C ends the session: a summary, exit 0, nothing left running, every port free
    sim.child.kill("SIGINT");
    const { code } = await sim.closed;
    expect(code, sim.stderr()).toBe(0);
    expect(sim.lines[sim.lines.length - 1].summary).toMatchObject({ results: 3, agreeWithReference: 3, drawn: 3, saved: 1, ended: "ended with Ctrl-C" });
    await expectCleanedUp(parseRun(sim.lines.map((l) => JSON.stringify(l)).join("\n")));
    expect(await portFree(draw.port)).toBe(true);
  });

  it("says so in one line when --http-port is busy, before it starts anything", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await bnn(["sim", "--draw", "--http-port", String(port), "--json"]);
      expectOneLineError(r, 3, new RegExp(`--http-port ${port} is busy`));
      expect(r.stdout).toBe(""); // no hub, no process
    } finally {
      blocker.close();
    }
  });
});

describe("the drawing page's server", () => {
  it("answers a body over 1 MiB with 413 and a short reason (Content-Length or chunked), and goes on serving", async () => {
    const got: unknown[] = [];
    const server = await startDrawServer({ port: 0, page: "<!doctype html>", routes: { "/digit": (b) => (got.push(b), { ok: true }) } });
    try {
      const limit = 1 << 20;
      for (const chunked of [false, true]) {
        const r = await post(server.port, limit + 1, chunked);
        expect(r.status, `chunked: ${chunked}`).toBe(413);
        expect(JSON.parse(r.body)).toEqual({ error: "request too large" });
      }
      // a client that asks first (Expect: 100-continue) is refused before it sends the body
      const asked = await new Promise<{ status: number; continued: boolean }>((resolve) => {
        let continued = false;
        const r = request(
          {
            host: "127.0.0.1",
            port: server.port,
            path: "/digit",
            method: "POST",
            headers: { "content-type": "application/json", "content-length": String(limit + 1), expect: "100-continue" },
          },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, continued });
            r.destroy();
          },
        );
        r.on("continue", () => {
          continued = true;
          r.end(Buffer.alloc(limit + 1, " "));
        });
        r.on("error", () => resolve({ status: 0, continued })); // no answer at all
        r.flushHeaders();
      });
      expect(asked).toEqual({ status: 413, continued: false });
      // a body of exactly the limit is read (and is no JSON: 400), and a small one is served
      expect((await post(server.port, limit, false)).status).toBe(400);
      expect(await raw(server.port, "/digit", { host: `127.0.0.1:${server.port}`, "content-type": "application/json" }, '{"a":1}')).toBe(200);
      expect(got).toEqual([{ a: 1 }]);
    } finally {
      await server.close();
    }
    expect(await portFree(server.port)).toBe(true);
  });
});
