/**
 * `bnn monitor` against a fake serial port: socat makes a pseudo-terminal pair, the monitor
 * reads one end, the test writes the other: valid result lines amid DMESG text, binary bytes,
 * split lines, CR/LF mixtures, an overlong line and a damaged line; then the port vanishes and
 * comes back. Also standard input and the one-line errors. Timeouts only keep tests from hanging.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, constants, existsSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { scratchDir } from "./helpers.ts";
import { start, type Managed } from "../lib/processes.ts";
import { crc16Text, formatResult, hexDigits, scoreFields, type StreamResult } from "../src/shared/stream-format.ts";
import { bnn, expectOneLineError } from "./run-bnn.ts";
import { run } from "../lib/run.ts";
import { runnersUpText, summaryText } from "../lib/monitor/render.ts";
import { Tally } from "../lib/monitor/summary.ts";
import { boardLine } from "../lib/monitor/lines.ts";

const BIN = fileURLToPath(new URL("../bin/bnn.mjs", import.meta.url));
const WAIT_MS = 20_000;

// ---- helpers ---------------------------------------------------------------------------

function result(seq: number, over: Partial<StreamResult> = {}): StreamResult {
  const digit = seq % 10;
  // a possible result: the digit is the highest score; the int32 extremes are in there; labels
  // only on samples lines; the bytecode inference in whole ms (the VM clock), within the total
  const scores = Array.from({ length: 10 }, (_, j) => (j === digit ? 2147483647 : j === (digit + 1) % 10 ? -2147483648 : 100 * j - 5 + (seq % 7)));
  const source = ["samples", "touch", "camera"][seq % 3];
  const backend = seq % 2 ? "bytecode" : "native";
  return {
    seq,
    source,
    label: source === "samples" ? seq % 7 : -1,
    inferenceUs: backend === "bytecode" ? 1000 * (8 + (seq % 5)) : 8000 + 37 * seq,
    totalMs: 20 + seq,
    backend,
    model: "191e9cb9",
    noDigit: "",
    ...scoreFields(scores, 24),
    ...over,
  };
}
const line = (seq: number) => formatResult(result(seq));

/** Deterministic bytes, all values 0..255 possible (Jacdac frames look like this). */
function noise(n: number, seed: number, withLineEnds = true): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    let v = (x >>> 0) & 0xff;
    if (!withLineEnds && (v === 0x0a || v === 0x0d)) v = 0;
    b[i] = v;
  }
  return b;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = WAIT_MS): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A running `bnn monitor` with its stdout and stderr kept apart. */
interface Monitor {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const managed: Managed[] = [];
const fds: number[] = [];

function startMonitor(args: string[]): Monitor {
  const child = spawn(process.execPath, [BIN, "monitor", ...args], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function startSocat(a: string, b: string): Promise<Managed> {
  rmSync(a, { force: true });
  rmSync(b, { force: true });
  const s = start("socat", ["-d", "-d", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { name: "socat" });
  managed.push(s);
  await s.waitFor(/starting data transfer loop/, WAIT_MS);
  await until("socat's links", () => existsSync(a) && existsSync(b));
  return s;
}

function openWriter(path: string): (data: string | Buffer) => void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_NOCTTY);
  fds.push(fd);
  return (data) => {
    const buf = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off);
  };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function expected(seq: number): Record<string, unknown> {
  const r = result(seq);
  return { version: 2, ...r, correct: r.label < 0 ? null : r.label === r.digit };
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // gone
  }
}

afterEach(async () => {
  for (const fd of fds.splice(0)) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
  for (const c of children.splice(0)) killGroup(c);
  await Promise.all(managed.splice(0).map((m) => m.stop()));
});

beforeAll(async () => {
  // not installed: the spawn fails (ENOENT), which rejects; a failing socat rejects too
  const v = await run("socat", ["-V"]).catch(() => undefined);
  if (!v) throw new Error("socat is not installed (Debian: apt-get install socat; .ci/run installs it)");
});

// ---- tests -----------------------------------------------------------------------------

describe("bnn monitor on a serial port", () => {
  it("reports every valid result exactly once amid noise, and skips a damaged line", async () => {
    const dir = scratchDir("monitor");
    const a = join(dir, "a");
    const b = join(dir, "b");
    await startSocat(a, b);
    const m = startMonitor(["--port", a, "--json", "--count", "8", "--timeout", "60"]);
    await until("the monitor to open the port", () => /bnn: reading .* at 115200 baud/.test(m.stderr()) || m.child.exitCode !== null);
    expect(m.stderr()).toMatch(/bnn: reading/);
    const write = openWriter(b);

    const damaged = formatResult(result(100));
    const bad = damaged.slice(0, -2) + (damaged.endsWith("00") ? "01" : "00"); // the CRC no longer matches
    write("DMESG: [0] boot ok\r\n");
    write(Buffer.concat([noise(200, 7), Buffer.from("\n")]));
    write(line(1) + "\r\n");
    write(Buffer.concat([noise(50, 11, false), Buffer.from(line(2) + "\n")])); // a binary frame glued in front
    const split = line(3);
    write(split.slice(0, 20));
    await sleep(150);
    write(split.slice(20) + "\r\n");
    write(bad + "\n");
    write("y".repeat(6000) + "\n");
    write(line(4) + "\n");
    write(Buffer.concat([Buffer.from([0, 0, 0xff, 0x80]), Buffer.from("DMESG: gc\r")]));
    write(line(5) + "\r");
    write(`${line(6)}\n\n\r\n${line(7)}\r\nDMESG: tail\n${line(8)}\n`);

    expect(await Promise.race([m.exited, sleep(WAIT_MS).then(() => "hung")])).toBe(0);
    const out = jsonLines(m.stdout());
    const summary = out.pop() as { summary: Record<string, unknown> };
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map(expected));
    expect(summary.summary).toMatchObject({
      results: 8,
      invalidLines: 1,
      overlongLines: 1,
      reconnects: 0,
      ended: "count reached",
      seq: { missing: 0, repeats: 0, restarts: 0 },
    });
    expect(m.stdout()).not.toMatch(/"seq":100/);
    expect(m.stderr()).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("reopens a port that vanishes and reports the rest of the stream", async () => {
    const dir = scratchDir("monitor");
    const a = join(dir, "a");
    const b = join(dir, "b");
    const socat1 = await startSocat(a, b);
    const m = startMonitor(["--port", a, "--json", "--count", "6", "--timeout", "60"]);
    await until("the monitor to open the port", () => /bnn: reading/.test(m.stderr()) || m.child.exitCode !== null);
    let write = openWriter(b);
    write(`DMESG: hello\n${line(1)}\n${line(2)}\r\n${line(3)}\n` + line(4).slice(0, 10)); // ends mid-line
    await until("three results", () => jsonLines(m.stdout()).length >= 3 || m.child.exitCode !== null);

    await socat1.stop();
    await until("the close notice", () => /closed; reconnecting/.test(m.stderr()) || m.child.exitCode !== null);
    await sleep(1000);
    await startSocat(a, b);
    await until("the reopen notice", () => /reopened/.test(m.stderr()) || m.child.exitCode !== null);
    write = openWriter(b);
    write(`${line(4)}\n\x00\x01DMESG: again\r\n${line(5)}\r\n${line(6)}\n`);

    expect(await Promise.race([m.exited, sleep(WAIT_MS).then(() => "hung")])).toBe(0);
    const out = jsonLines(m.stdout());
    const summary = out.pop() as { summary: Record<string, unknown> };
    expect(out).toEqual([1, 2, 3, 4, 5, 6].map(expected));
    expect(summary.summary).toMatchObject({ results: 6, reconnects: 1, invalidLines: 0, seq: { missing: 0, repeats: 0, restarts: 0 } });
    const notices = m.stderr().trim().split("\n");
    expect(notices).toEqual([`bnn: reading ${a} at 115200 baud`, `bnn: port ${a} closed; reconnecting`, `bnn: port ${a} reopened`]);
  }, 60_000);

  it("fails with one line when the port never appears before --timeout", async () => {
    const missing = join(tmpdir(), "bnn-monitor-no-such-port");
    expectOneLineError(
      await bnn(["monitor", "--port", missing, "--timeout", "1"]),
      3,
      /cannot open port .*bnn-monitor-no-such-port: No such file or directory \(waited 1 s\)/,
    );
    expectOneLineError(await bnn(["monitor", "--port", missing]), 3, /cannot open port .*pass --timeout/);
  });

  it("says at once, in one line, that a path which is no serial device is none, without suggesting --timeout (issue 21)", async () => {
    const dir = scratchDir("monitor");
    const file = join(dir, "saved.log");
    writeFileSync(file, line(1) + "\n");
    for (const args of [
      ["--port", "/dev/null"],
      ["--port", "/dev/null", "--timeout", "5"],
      ["--port", file],
      ["--port", dir, "--timeout", "5"],
    ]) {
      const r = await bnn(["monitor", ...args]);
      expectOneLineError(r, 3, /not a serial device/);
      expect(r.stderr, args.join(" ")).not.toMatch(/--timeout|waited/); // waiting cannot make it one
    }
    expect((await bnn(["monitor", "--port", file])).stderr).toMatch(/--stdin < /); // a saved stream: read it from standard input
  });

  it("rejects bad options with a usage error", async () => {
    expectOneLineError(await bnn(["monitor", "--port", "/dev/null", "--format", "xml"]), 2, /--format must be one of table, jsonl, csv; got 'xml'/);
    expectOneLineError(await bnn(["monitor"]), 2, /--port is required/);
    expectOneLineError(await bnn(["monitor", "--stdin", "--port", "/dev/ttyACM0"]), 2, /either --port or --stdin/);
    expectOneLineError(await bnn(["monitor", "--stdin", "--count", "0"]), 2, /--count must be at least 1/);
  });
});

describe("bnn monitor --stdin", () => {
  const input = Buffer.concat([
    Buffer.from(`WASM> DMESG: start\r\n${line(10)}\n`),
    noise(300, 3),
    Buffer.from(`\n${line(11)}\r\n${line(11)}\n${line(14)}\n${formatResult(result(15)).replace(/\*....$/, "*zzzz")}\n${line(16).slice(0, 40)}\n${line(2)}`), // a cut line; no final line end
  ]);
  const run = (args: string[]) => bnn(["monitor", "--stdin", ...args], {}, { input });

  it("reads the stream from standard input, counting repeats, gaps and restarts", async () => {
    const r = await run(["--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const out = jsonLines(r.stdout);
    const summary = out.pop() as { summary: Record<string, unknown> };
    expect(out).toEqual([10, 11, 11, 14, 2].map(expected));
    expect(summary.summary).toMatchObject({ results: 5, invalidLines: 1, cutLines: 1, ended: "end of input", seq: { missing: 2, repeats: 1, restarts: 1 } });
  });

  it("prints an aligned table with a summary on stderr, and CSV with a header", async () => {
    const t = await run([]);
    expect(t.code, t.stderr).toBe(0);
    const rows = t.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/seq +digit +label +ok +runners-up +infer ms +line ms +backend +source +model/);
    expect(rows).toHaveLength(6);
    expect(new Set(rows.slice(1).map((l) => l.length)).size).toBe(1); // aligned
    expect(rows[1]).toMatch(/^ +10 +0 +- +9 -\d+\.\d, \d -\d+\.\d +8\.37 +30 native +touch +191e9cb9$/);
    expect(t.stderr).toMatch(/1 result cut short before the checksum/);
    expect(t.stderr).toMatch(/summary: 5 results, accuracy/);
    expect(t.stderr).toMatch(/inference native: p50 \d+\.\d\d\d ms, p99/);
    const c = await run(["--format", "csv", "--count", "2"]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim().split("\n")).toEqual([
      "seq,source,digit,label,correct,inference_ms,line_ms,backend,model,runners_up,no_digit",
      `10,touch,0,-1,,8.37,30,native,191e9cb9,"${result(10).runnersUp.join(",")}",`,
      `11,camera,1,-1,,9.00,31,bytecode,191e9cb9,"${result(11).runnersUp.join(",")}",`,
    ]);
  });

  it("refuses checksum-valid lines with impossible fields, counting them invalid (issue 21)", async () => {
    /** A valid line with one field replaced, re-checksummed: only the field's rule breaks. */
    const changed = (l: string, field: number, value: string) => {
      const body = l
        .slice(1, l.indexOf("*"))
        .split(" ")
        .map((v, i) => (i === field ? value : v))
        .join(" ");
      return `@${body}*${hexDigits(crc16Text(body), 4)}`;
    };
    const impossible = [
      "@bnn2 0 samples 7 -0 394 21 native f39c30a7 2:89,3:89 713c*2836", // label -0
      "@bnn2 0 touch - -1 394 21 native f39c30a7 faint 713c*dd0b", // the camera's reason on a touch line
      "@bnn2 0 touch 7 -1 99999000 1 native f39c30a7 2:89,3:89 713c*df2c", // 99,999 ms of inference in 1 ms
      changed(line(1), 4, "4"), // a label on a touch line
      changed(line(7), 1, "007"), // seq 007
    ];
    const r = await bnn(["monitor", "--stdin", "--json"], {}, { input: [...impossible, line(3)].join("\n") + "\n" });
    expect(r.code, r.stderr).toBe(0);
    const out = jsonLines(r.stdout);
    const summary = out.pop() as { summary: Record<string, unknown> };
    expect(out).toEqual([expected(3)]);
    expect(summary.summary).toMatchObject({ results: 1, invalidLines: impossible.length });
  });

  it("counts an overlong line as overlong only, refuses text after a checksum, and reads two results in one line (issue 21)", async () => {
    const input =
      [
        line(1) + "Z".repeat(5000), // a result, then more than the 4096-byte cap
        line(2) + "ZZZ", // text after the checksum
        line(3) + line(4), // two results in one line
        `${line(5)} DMESG: junk ${line(6)}`, // a damaged piece, then a result
        line(7) + " \x1b[0m", // what a terminal may leave behind
      ].join("\n") + "\n";
    const r = await bnn(["monitor", "--stdin", "--json"], {}, { input });
    expect(r.code, r.stderr).toBe(0);
    const out = jsonLines(r.stdout);
    const summary = out.pop() as { summary: Record<string, unknown> };
    expect(out).toEqual([3, 4, 6, 7].map(expected));
    expect(summary.summary).toMatchObject({ results: 4, overlongLines: 1, invalidLines: 2, cutLines: 0 });
  });
});

describe("bnn monitor's rendering", () => {
  it("prints a runner-up less than 0.1 unit below the digit as 0.0, not -0.0 (issue 21)", () => {
    expect(runnersUpText(result(7, { runnersUp: [2, 0, 3, 5] }))).toBe("2 0.0, 3 -0.5");
    expect(runnersUpText(result(7, { runnersUp: [2, 41, 3, 9999] }))).toBe("2 -4.1, 3 -999.9");
  });
});

describe("the board's own output in the simulator's", () => {
  it("keeps the VM's console lines and drops the DeviceScript CLI's own (its default hub URL, its version line) (issue 21)", () => {
    // `devs run` output as bnn sim --raw got it (the hub of that run was on another port)
    const devs = [
      "using devs: v2.16.4, runtime: v2.16.4, node: v20.20.2 from /work/main/node_modules/@devicescript/cli/built",
      "connected to ws://127.0.0.1:8081",
      "self-deployed src/main.ts",
      "WASM> DeviceScript Simulator (WASM) v2.16.4; file v2.16.4",
      "WASM> bnn: model 6443658033e1e799, source samples, backend bytecode",
      "WASM> @bnn2 0 samples 7 7 8000 8 bytecode 64436580 5:78,1:79 b12d*5a2e",
      "WASM>",
    ];
    expect(devs.map(boardLine)).toEqual([
      undefined,
      undefined,
      undefined,
      "DeviceScript Simulator (WASM) v2.16.4; file v2.16.4",
      "bnn: model 6443658033e1e799, source samples, backend bytecode",
      "@bnn2 0 samples 7 7 8000 8 bytecode 64436580 5:78,1:79 b12d*5a2e",
      "",
    ]);
  });
});

describe("bnn monitor's summary", () => {
  it("gives the mean inference over the results the interval between results spans, both with one decimal (issue 21)", () => {
    // the first result's work happened before the first arrival: the interval (last - first
    // arrival) / (n - 1) spans results 2..n, and so must the inference set beside it
    const t = new Tally();
    const inference = [9000, 7000, 8000, 7000];
    inference.forEach((us, k) => t.add(result(k, { source: "touch", label: -1, backend: "bytecode", inferenceUs: us, totalMs: 9 }), 1000 + 7.5 * k));
    const s = t.summary("end of input", 0);
    expect(s.latency.bytecode.meanMs).toBe(7.75); // every result's
    expect(s.throughput).toMatchObject({ meanIntervalMs: 7.5, inferenceMeanMs: { bytecode: 7.333333333333333 } });
    expect(summaryText(s)).toMatch(/7\.5 ms between results .*bytecode 7\.3 ms/);
    expect(summaryText(s)).toMatch(/inference bytecode: p50 7 ms, p99 9 ms, mean 7\.8 ms/); // the VM clock's whole ms, not µs
  });
});
