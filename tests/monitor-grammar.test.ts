/**
 * The result line's grammar (docs/serial-protocol.md) has one validator, lib/monitor/parse.ts,
 * and the formatter's tests use it: a seeded generator makes the results the DeviceScript program
 * can write (a model of src/app.ts's classifyAndReport: every source, both backends, a classifier
 * that answers, finds nothing or stays silent, no-digit reasons as each source gives them, labels
 * only where the program has them, VM clock readings in whole ms that change only at an await,
 * runners-up from real scores through the formatter's own helpers); formatResult writes each and
 * the validator must accept it and read it back equal. Then every rule is broken on its own:
 * a field of a valid line is changed and the line re-checksummed, so only that rule is broken,
 * and the validator must refuse it, naming that rule.
 */
import { describe, expect, it } from "vitest";
import { classifyLine, classifyPieces, parseResult, type ParsedResult } from "../lib/monitor/parse.ts";
import { LineSplitter } from "../lib/monitor/lines.ts";
import { SeededRng } from "../lib/rng.ts";
import { NO_DIGIT_REASONS } from "../src/shared/no-digit.ts";
import { crc16Text, formatResult, hex8, hexDigits, scoreFields, type StreamResult } from "../src/shared/stream-format.ts";

// ---- a model of the program (src/app.ts), written from its code, not from the validator ----------

/** strokeNoDigit's answers (src/shared/no-digit.ts: its list holds them and the camera's "faint"). */
const STROKE_REJECTS = NO_DIGIT_REASONS.filter((r) => r !== "faint");
/** Of those, found in the strokes before any classifier runs ("empty" also comes from a backend). */
const REJECTED = STROKE_REJECTS.filter((r) => r !== "empty");
const U32 = 2 ** 32 - 1;

function pick<T>(rng: SeededRng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

/** Ten int32 scores: spread out, bunched into near ties and exact ties, or at the extremes. */
function randomScores(rng: SeededRng, shift: number): number[] {
  const mode = rng.int(4);
  if (mode === 0) return Array.from({ length: 10 }, () => rng.u32() | 0);
  if (mode === 1) return Array.from({ length: 10 }, () => pick(rng, [-(2 ** 31), 2 ** 31 - 1, 0, rng.u32() | 0]));
  // a few values a little apart (at most a tenth of a score unit, or a few units): ties and near ties
  const unit = 2 ** shift;
  const top = Math.round(rng.uniform(-1, 1) * 2 ** 30);
  const step = mode === 2 ? Math.max(1, Math.floor(unit / 40)) : Math.max(1, Math.floor(unit * rng.uniform(0, 3)));
  return Array.from({ length: 10 }, () => top - step * rng.int(5));
}

/**
 * One result the program can write. Time: `real` µs on the board, the VM clock ms = floor of the
 * real time at the last await (ds.millis() changes only upon an await); the classifier service
 * measures its inference in µs on the same hardware clock, within the await that waits for it.
 */
function programResult(rng: SeededRng): StreamResult {
  const source = pick(rng, ["touch", "camera", "samples"] as const);
  let useNative = rng.int(2) === 0;
  const shift = pick(rng, [24, 24, 16, 0, rng.int(31)]);
  const seq = pick(rng, [0, rng.int(100), rng.u32(), U32]);
  const label = source === "samples" ? rng.int(10) : -1;
  let real = rng.int(2 ** 40);
  let lastAwait = real;
  const millis = () => Math.floor(lastAwait / 1000);
  const awaitFor = (us: number) => {
    real += us;
    lastAwait = real;
  };
  real += pick(rng, [0, rng.int(3000)]); // work since the last await: the VM clock lags
  const since = millis();
  // the input: touch strokes are judged before any classifier (strokeNoDigit), "" = may be a digit
  const rejected = source === "touch" && rng.int(3) === 0 ? pick(rng, STROKE_REJECTS) : "";
  const backendNone = source === "touch" ? "empty" : source === "camera" ? "faint" : "empty";
  // a classifier service finds nothing in strokes without a point or a frame without ink; bits always classify
  const canBeNothing = source !== "samples";

  let inferenceUs = 0;
  let scores: number[] | undefined;
  let none = rejected !== "";
  let backend = useNative ? "native" : "bytecode";
  if (useNative && !none) {
    const answer = rng.int(5); // 0: silent (twice), 1: nothing to classify, else scores
    if (answer === 0) {
      awaitFor(2 * 500_000 + rng.int(1000)); // two timeouts
      useNative = false;
    } else if (answer === 1 && canBeNothing) {
      awaitFor(rng.int(30_000));
      none = true; // the program's answer for "no digit" carries inference 0
    } else {
      // the request's way to the service and the answer's back: sometimes next to nothing
      const before = pick(rng, [0, rng.int(50), rng.int(5000)]);
      const us = pick(rng, [0, rng.int(1000), rng.int(200_000), 999, 1000, 1001]);
      awaitFor(before + us + pick(rng, [0, rng.int(50), rng.int(5000)]));
      inferenceUs = us;
      scores = randomScores(rng, shift);
    }
  }
  if (!scores && !none) {
    backend = "bytecode";
    const t0 = millis();
    awaitFor(rng.int(3) === 0 ? rng.int(1000) : rng.int(2_000_000)); // yields while it runs
    if (canBeNothing && rng.int(6) === 0) none = true;
    else scores = randomScores(rng, shift);
    inferenceUs = (millis() - t0) * 1000;
    if (rng.int(4) === 0) awaitFor(rng.int(2000)); // nativeAvailable() asks the bus again
  }
  real += rng.int(3000); // scoreFields and formatting: no await
  const fields = !none ? scoreFields(scores!, shift) : { digit: -1, runnersUp: [], scoresCrc: 0 };
  return {
    seq,
    source,
    digit: fields.digit,
    label,
    inferenceUs,
    totalMs: millis() - since,
    backend,
    model: hex8(rng.u32()),
    runnersUp: fields.runnersUp,
    noDigit: none ? (rejected !== "" ? rejected : backendNone) : "",
    scoresCrc: fields.scoresCrc,
  };
}

// ---- lines, fields, re-checksumming ----------------------------------------------------------

const F = { seq: 1, source: 2, digit: 3, label: 4, inference: 5, total: 6, backend: 7, model: 8, top: 9, crc: 10 } as const;

function fieldsOf(line: string): string[] {
  return line.slice(1, line.indexOf("*")).split(" ");
}

function lineOf(fields: string[]): string {
  const body = fields.join(" ");
  return `@${body}*${hexDigits(crc16Text(body), 4)}`;
}

function pool(seed: number, n: number): StreamResult[] {
  const rng = new SeededRng(seed);
  return Array.from({ length: n }, () => programResult(rng));
}

const POOL = pool(21, 3000);
const parsed = (r: StreamResult): ParsedResult => ({ ...r, version: 2 });

describe("every line the program can write is accepted", () => {
  it("reads back each generated result exactly, bare and with what a stream puts around it", () => {
    const sources = new Set<string>();
    for (const r of POOL) {
      const line = formatResult(r);
      expect(parseResult(line), line).toEqual(parsed(r));
      sources.add(`${r.source} ${r.backend} ${r.digit < 0 ? r.noDigit : "digit"}`);
    }
    // the generator reaches every source, backend and reason the program has
    expect([...sources].sort()).toEqual(
      [
        "camera bytecode digit",
        "camera bytecode faint",
        "camera native digit",
        "camera native faint",
        "samples bytecode digit",
        "samples native digit",
        ...["digit", ...STROKE_REJECTS].flatMap((w) => [`touch bytecode ${w}`, `touch native ${w}`]),
      ].sort(),
    );
    const rng = new SeededRng(5);
    for (const r of POOL.slice(0, 500)) {
      const line = formatResult(r);
      const prefix = pick(rng, ["", "WASM> ", "> ", "DMESG: [12] ", "\x00\x01\xff", "12:01:03.5 "]);
      const suffix = pick(rng, ["", " ", "\t", "  ", "\x1b[0m", " \x1b[0m "]);
      expect(parseResult(prefix + line + suffix), JSON.stringify(prefix + line + suffix)).toEqual(parsed(r));
    }
  });

  it("accepts near ties: a deficit of 0 is less than a tenth of a unit, not a tie (so its runner-up may have a lower index than the digit)", () => {
    // scores in units of 2^24: digit 5 wins by one 2^-24th of a unit over digit 2, and 7 and 1 differ by less than 0.1 unit
    const unit = 2 ** 24;
    const scores = [0, 3 * unit - 5, 3 * unit, 0, 0, 3 * unit + 1, 0, 3 * unit - 4, 0, 0];
    const f = scoreFields(scores, 24);
    expect(f.digit).toBe(5);
    expect(f.runnersUp).toEqual([2, 0, 7, 0]); // 2 < 5 at deficit 0; then 7 before 1 at equal deficits
    const r: StreamResult = { seq: 1, source: "samples", label: 5, inferenceUs: 900, totalMs: 1, backend: "native", model: "191e9cb9", noDigit: "", ...f };
    expect(parseResult(formatResult(r))).toEqual(parsed(r));
    const swapped = [0, 3 * unit - 4, 3 * unit, 0, 0, 3 * unit + 1, 0, 3 * unit - 5, 0, 0];
    expect(scoreFields(swapped, 24).runnersUp).toEqual([2, 0, 1, 0]); // equal deficits, index order: also possible
    // the generator makes such lines too
    expect(POOL.some((p) => p.digit >= 0 && p.runnersUp[1] === 0 && p.runnersUp[0] < p.digit)).toBe(true);
    expect(POOL.some((p) => p.digit >= 0 && p.runnersUp[1] === p.runnersUp[3] && p.runnersUp[0] > p.runnersUp[2])).toBe(true);
  });

  it("accepts an inference time up to the total's last µs: the VM clock counts whole ms, the service µs", () => {
    const r: StreamResult = {
      seq: 3,
      source: "touch",
      label: -1,
      inferenceUs: 5999,
      totalMs: 5,
      backend: "native",
      model: "191e9cb9",
      noDigit: "",
      ...scoreFields([0, 9, 1, 2, 3, 4, 5, 6, 7, 8], 0),
    };
    expect(parseResult(formatResult(r))).toEqual(parsed(r));
    expect(parseResult(formatResult({ ...r, inferenceUs: 6000 }))).toBeUndefined();
    expect(POOL.some((p) => p.backend === "native" && p.inferenceUs > p.totalMs * 1000)).toBe(true);
  });
});

// ---- each rule broken on its own ---------------------------------------------------------------

interface Mutation {
  /** The change to a valid line's fields, or undefined where it does not apply to this result. */
  change: (f: string[], r: StreamResult) => string[] | undefined;
  /** The rule the validator must name. */
  why: RegExp;
}

const set = (f: string[], at: number, value: string) => f.map((v, i) => (i === at ? value : v));
const digitLine = (r: StreamResult) => r.digit >= 0;

const MUTATIONS: Record<string, Mutation> = {
  // numbers as the formatter never writes them ("" + n: no sign but a minus, no leading zero)
  "label -0": { change: (f) => set(f, F.label, "-0"), why: /label/ },
  "label with a leading zero": { change: (f, r) => set(f, F.label, r.label < 0 ? "-01" : `0${r.label}`), why: /label/ },
  "seq with a leading zero": { change: (f) => set(f, F.seq, `0${f[F.seq]}`), why: /seq/ },
  "seq -0": { change: (f) => set(f, F.seq, "-0"), why: /seq/ },
  "seq with a plus sign": { change: (f) => set(f, F.seq, `+${f[F.seq]}`), why: /seq/ },
  "inference time with a leading zero": { change: (f) => set(f, F.inference, `0${f[F.inference]}`), why: /inference/ },
  "total time with a leading zero": { change: (f) => set(f, F.total, `0${f[F.total]}`), why: /total/ },
  "total time -0": { change: (f, r) => (r.totalMs === 0 && r.inferenceUs < 1000 ? set(f, F.total, "-0") : undefined), why: /total/ },
  "a deficit with a leading zero": {
    change: (f, r) => (digitLine(r) ? set(f, F.top, f[F.top].replace(/:(\d+)$/, ":0$1")) : undefined),
    why: /runner-up|deficit/,
  },
  "a deficit -0": { change: (f, r) => (digitLine(r) ? set(f, F.top, f[F.top].replace(/:(\d+),/, ":-0,")) : undefined), why: /runner-up|deficit/ },
  "digit 07": { change: (f, r) => (digitLine(r) ? set(f, F.digit, `0${r.digit}`) : undefined), why: /digit/ },

  // labels: only the sample digits compiled into the program have them
  "a label on a touch line": { change: (f, r) => (r.source === "touch" ? set(f, F.label, String(r.seq % 10)) : undefined), why: /label/ },
  "a label on a camera line": { change: (f, r) => (r.source === "camera" ? set(f, F.label, "0") : undefined), why: /label/ },
  "no label on a samples line": { change: (f, r) => (r.source === "samples" ? set(f, F.label, "-1") : undefined), why: /label/ },

  // no-digit reasons: each source has its own
  "the camera's faint on a touch line": { change: (f, r) => (r.source === "touch" && !digitLine(r) ? set(f, F.top, "faint") : undefined), why: /reason/ },
  "a stroke reason on a camera line": { change: (f, r) => (r.source === "camera" && !digitLine(r) ? set(f, F.top, "empty") : undefined), why: /reason/ },
  "no digit on a samples line": {
    // a classifier always classifies bits: everything else as a native no digit would be
    change: (f, r) =>
      r.source === "samples" ? [...set(set(set(set(set(f, F.digit, "-"), F.top, "empty"), F.crc, "0000"), F.backend, "native"), F.inference, "0")] : undefined,
    why: /reason/,
  },
  "an unknown reason": { change: (f, r) => (!digitLine(r) ? set(f, F.top, "bored") : undefined), why: /reason/ },
  "no digit with runners-up": { change: (f, r) => (!digitLine(r) ? set(f, F.top, "1:0,2:0") : undefined), why: /reason|runner/ },
  "a digit with a reason": { change: (f, r) => (digitLine(r) ? set(f, F.top, "empty") : undefined), why: /runner/ },
  "no digit with a scores CRC": { change: (f, r) => (!digitLine(r) ? set(f, F.crc, "1a2b") : undefined), why: /CRC/ },
  "a native no digit with an inference time": {
    change: (f, r) => (!digitLine(r) && r.backend === "native" ? set(f, F.inference, "1") : undefined),
    why: /inference/,
  },
  "a stroke rejected before classifying, with an inference time": {
    change: (f, r) =>
      r.source === "touch" && r.backend === "bytecode" && REJECTED.includes(r.noDigit)
        ? set(set(f, F.inference, "1000"), F.total, String(Math.max(1, r.totalMs)))
        : undefined,
    why: /inference/,
  },

  // times: the inference lies within the input-to-line time; the VM clock counts whole ms
  "99,999 ms of inference in a 1 ms total": {
    change: (f, r) => (digitLine(r) ? set(set(f, F.inference, "99999000"), F.total, "1") : undefined),
    why: /inference .*total|total/,
  },
  "an inference a whole ms beyond the total": {
    change: (f, r) =>
      digitLine(r) || (r.backend === "bytecode" && r.noDigit !== "" && !REJECTED.includes(r.noDigit))
        ? r.totalMs < U32
          ? set(f, F.inference, String((r.totalMs + 1) * 1000))
          : undefined
        : undefined,
    why: /total/,
  },
  "a bytecode inference time that is not whole ms": {
    change: (f, r) => (r.backend === "bytecode" && r.inferenceUs > 0 ? set(f, F.inference, String(r.inferenceUs - 1)) : undefined),
    why: /bytecode|whole/,
  },

  // runners-up as runnersUp() orders them
  "runners-up out of order": {
    change: (f, r) =>
      digitLine(r) && r.runnersUp[1] < r.runnersUp[3] ? set(f, F.top, `${r.runnersUp[0]}:${r.runnersUp[3]},${r.runnersUp[2]}:${r.runnersUp[1]}`) : undefined,
    why: /order/,
  },
  "a runner-up that is the digit": {
    change: (f, r) => (digitLine(r) ? set(f, F.top, f[F.top].replace(/^\d/, String(r.digit))) : undefined),
    why: /repeat|digit/,
  },
  "one runner-up": { change: (f, r) => (digitLine(r) ? set(f, F.top, f[F.top].split(",")[0]) : undefined), why: /runner/ },
  "a deficit beyond 9999": { change: (f, r) => (digitLine(r) ? set(f, F.top, f[F.top].replace(/:\d+$/, ":10000")) : undefined), why: /runner|deficit/ },

  // names and hex
  "an unknown source": { change: (f) => set(f, F.source, "radio"), why: /source/ },
  "an unknown backend": { change: (f) => set(f, F.backend, "gpu"), why: /backend/ },
  "an uppercase model id": { change: (f) => set(f, F.model, f[F.model].toUpperCase().replace(/^[0-9]+$/, "ABCDEF12")), why: /model/ },
};

describe("every rule broken on its own is refused", () => {
  it.each(Object.keys(MUTATIONS))("refuses %s", (name) => {
    const m = MUTATIONS[name];
    let applied = 0;
    for (const r of POOL) {
      const line = formatResult(r);
      const changed = m.change(fieldsOf(line), r);
      if (!changed) continue;
      const mutated = lineOf(changed);
      if (mutated === line) continue;
      applied++;
      expect(parseResult(mutated), `${name}: ${mutated}`).toBeUndefined();
      const verdict = classifyLine(mutated);
      expect(verdict.kind, mutated).toBe("invalid");
      expect(verdict.why, mutated).toMatch(m.why);
      if (applied >= 300) break;
    }
    expect(applied, "the generator makes lines this change applies to").toBeGreaterThan(0);
  });

  it("refuses the issue's lines: label -0, faint on a touch line, 99,999 ms of inference in 1 ms", () => {
    for (const line of [
      "@bnn2 0 samples 7 -0 394 21 native f39c30a7 2:89,3:89 713c*2836",
      "@bnn2 0 touch - -1 394 21 native f39c30a7 faint 713c*dd0b",
      "@bnn2 0 touch 7 -1 99999000 1 native f39c30a7 2:89,3:89 713c*df2c",
    ]) {
      expect(lineOf(fieldsOf(line)), "the checksum holds").toBe(line);
      expect(parseResult(line), line).toBeUndefined();
    }
    // its fourth line is one the program can write: digit 2 less than 0.1 unit below digit 7
    // (a deficit of 0 is not a tie), as the near-tie test above shows
    expect(parseResult("@bnn2 0 samples 7 7 394 21 native f39c30a7 2:0,3:5 713c*402d")).toMatchObject({ digit: 7, runnersUp: [2, 0, 3, 5] });
  });
});

describe("what may follow a result, and two results in one line", () => {
  it("refuses text after the checksum: only whitespace and a terminal's colour codes may follow", () => {
    const rng = new SeededRng(7);
    for (const r of POOL.slice(0, 300)) {
      const line = formatResult(r);
      const tail = pick(rng, ["ZZZ", "x", "0", "a", " trailing", "\x1b[0mZ", "*1a68", "\x00", "-"]);
      expect(parseResult(line + tail), JSON.stringify(line + tail)).toBeUndefined();
      expect(classifyLine(line + tail).why).toMatch(/after the checksum/);
    }
    expect(parseResult("@bnn2 0 samples 7 7 394 21 native f39c30a7 2:0,3:5 713c*402d")).toBeDefined();
    expect(parseResult("@bnn2 0 samples 7 7 394 21 native f39c30a7 2:0,3:5 713c*402dZZZ")).toBeUndefined();
  });

  it("judges each @bnn piece of a line on its own: nothing vanishes uncounted", () => {
    const [a, b] = [formatResult(POOL[0]), formatResult(POOL[1])];
    const kinds = (text: string) => classifyPieces(text).map((v) => v.kind);
    expect(classifyPieces(a + b).map((v) => v.result)).toEqual([parsed(POOL[0]), parsed(POOL[1])]);
    expect(classifyPieces(`WASM> ${a} ${b}\r`).map((v) => v.result)).toEqual([parsed(POOL[0]), parsed(POOL[1])]);
    expect(kinds(`${a} junk ${b}`)).toEqual(["invalid", "result"]);
    expect(kinds(`${a.slice(0, 30)}${b}`)).toEqual(["cut", "result"]);
    expect(kinds(`${a}@bnn`)).toEqual(["result", "invalid"]);
    expect(kinds("DMESG: boot ok")).toEqual([]);
    // one line that should hold one result and holds two is not read as the first
    expect(parseResult(a + b)).toBeUndefined();
  });
});

describe("lines longer than the cap", () => {
  it("hands an overlong line on marked as cut, so it counts as overlong and nothing else", () => {
    const seen: [string, boolean][] = [];
    const lines = new LineSplitter((line, cut) => seen.push([line, cut]), 100);
    const valid = formatResult(POOL[2]);
    lines.push(Buffer.from(`${valid}${"Z".repeat(500)}\n${valid}\n`));
    lines.push(Buffer.from("x".repeat(60)));
    lines.push(Buffer.from("y".repeat(60)));
    lines.flush();
    expect(seen.map(([l, cut]) => [l.length, cut])).toEqual([
      [100, true],
      [valid.length, false],
      [100, true],
    ]);
    expect(lines.overlong).toBe(2);
  });
});
