/**
 * Simulated Digit Touch panel (services/digittouch.md) on the DeviceScript devtools hub: "writes"
 * MNIST test digits first..first+count-1 as pen strokes (lib/strokes/from-image.ts),
 * one sample every --period ms, a pen-up gap of --stroke-gap ms between strokes and of --gap ms
 * (longer than the program's digit timeout) between digits, so the DeviceScript program receives
 * digits with known labels the way it would from a CST816S panel.
 *
 *   node --import tsx devices/touch.ts --url ws://127.0.0.1:<port> [--first 0] [--count 300]
 *        [--period 10] [--stroke-gap 150] [--gap 1000] [--batch 1] [--delay 3000] [--stdin]
 *
 * Prints "touch ready" once connected and "touch digit <i> label <l>" as it starts writing test
 * digit i, then "touch done". The replay starts when a client first reads a register (a program
 * reads width/height before it scales strokes) or --delay ms after connecting, whichever comes
 * first. Writes to sample_period are stored but the replay keeps --period.
 *
 * With --stdin the digits come from the parent process instead of MNIST (`bnn sim --draw`: the
 * drawing page): one JSON line per digit on stdin, `{"strokes": [[x0, y0, x1, y1, ...], ...]}` in
 * panel coordinates, drawn in order with the same samples, timing and reports as the replay, at
 * least --gap ms after the previous digit's last sample. It prints "touch drawing <k>" and
 * "touch drawn <k>" around digit k (0, 1, ... in stdin order), "touch: bad line ..." for a line
 * it cannot use (and goes on), and exits when stdin ends (its parent finished or is gone).
 */
import { JDServiceServer, Packet } from "jacdac-ts";
import { createInterface } from "node:readline";
import { UserError } from "../lib/errors.ts";
import { loadMnist, TEST_IMAGES } from "../lib/mnist.ts";
import { TOUCH } from "../lib/services.ts";
import { DEFAULT_PANEL_SIZE, strokesFromImage } from "../lib/strokes/from-image.ts";
import { encodeSamples, MAX_SAMPLES_PER_REPORT } from "../src/shared/touch-samples.ts";
import { isMain, runDevice } from "./device.ts";

export interface ReplayOptions {
  /** ms between samples while the pen is down; default 10. */
  period?: number;
  /** ms between the pen-up sample of a stroke and the next stroke; default 150. */
  strokeGap?: number;
  /** ms between the pen-up sample of a digit's last stroke and the next digit; default 1000. */
  digitGap?: number;
  /** Square panel size; default 240. */
  panelSize?: number;
}

export interface TimedSample {
  /** ms since the start of the replay. */
  time: number;
  x: number;
  y: number;
  pressed: boolean;
  /** Position of the digit in the replay (0 = test digit `first`). */
  digit: number;
}

export interface ReplayDigit {
  /** MNIST test set index. */
  index: number;
  label: number;
  strokes: number[][];
  /** Time of its first and last sample. */
  start: number;
  end: number;
}

export interface Timeline {
  samples: TimedSample[];
  digits: ReplayDigit[];
}

/**
 * The samples of one digit's strokes from time `start`: one pressed sample per point every
 * `period` ms, a pen-up sample at each stroke's last point, `strokeGap` ms between strokes.
 * Returns them and the time of the last one.
 */
export function strokeSamples(strokes: number[][], start: number, digit: number, period: number, strokeGap: number): { samples: TimedSample[]; end: number } {
  const samples: TimedSample[] = [];
  let t = start;
  strokes.forEach((st, s) => {
    if (s > 0) t += strokeGap;
    for (let i = 0; i + 1 < st.length; i += 2) {
      samples.push({ time: t, x: st[i], y: st[i + 1], pressed: true, digit });
      t += period;
    }
    samples.push({ time: t, x: st[st.length - 2], y: st[st.length - 1], pressed: false, digit });
  });
  return { samples, end: t };
}

/** Samples of the strokes of test digits first..first+count-1, in time order. */
export function replayTimeline(images: Uint8Array, labels: Uint8Array, first: number, count: number, options: ReplayOptions = {}): Timeline {
  const period = options.period ?? 10;
  const strokeGap = options.strokeGap ?? 150;
  const digitGap = options.digitGap ?? 1000;
  const panelSize = options.panelSize ?? DEFAULT_PANEL_SIZE;
  const samples: TimedSample[] = [];
  const digits: ReplayDigit[] = [];
  let t = 0;
  for (let k = 0; k < count; k++) {
    const index = first + k;
    const strokes = strokesFromImage(images, index, { panelSize });
    const start = t;
    const drawn = strokeSamples(strokes, start, k, period, strokeGap);
    samples.push(...drawn.samples);
    t = drawn.end;
    digits.push({ index, label: labels[index], strokes, start, end: t });
    t += digitGap;
  }
  return { samples, digits };
}

export interface Report {
  /** When to send it: the time of its last sample. */
  time: number;
  /** Digit of its samples. */
  digit: number;
  payload: Uint8Array;
}

/**
 * Groups the samples into reports of up to `batch` samples; a report ends at a pen-up sample,
 * so a stroke's end is never held back. `firstSeq` numbers the first sample (the panel's sample
 * count goes on from one call to the next).
 */
export function groupReports(samples: TimedSample[], batch = 1, firstSeq = 0): Report[] {
  const size = Math.max(1, Math.min(MAX_SAMPLES_PER_REPORT, Math.floor(batch)));
  const reports: Report[] = [];
  let seq = firstSeq & 0xffff;
  let group: TimedSample[] = [];
  for (const s of samples) {
    if (group.length > 0 && group[0].digit !== s.digit) throw new Error("a report spans two digits");
    group.push(s);
    if (group.length >= size || !s.pressed) {
      reports.push({
        time: s.time,
        digit: s.digit,
        payload: encodeSamples(
          seq,
          group.map((g) => ({ ...g, fingers: g.pressed ? 1 : 0 })),
        ),
      });
      seq = (seq + group.length) & 0xffff;
      group = [];
    }
  }
  return reports;
}

export class TouchServer extends JDServiceServer {
  /** Called on the first read of the width register (a client getting ready to scale strokes;
   * other buses on the hub may read other registers of every device they see). */
  onFirstRead: (() => void) | undefined;

  constructor(panelSize: number, period: number) {
    super(TOUCH.serviceClass);
    this.addRegister(TOUCH.regWidth, [panelSize]);
    this.addRegister(TOUCH.regHeight, [panelSize]);
    this.addRegister(TOUCH.regSamplePeriod, [period]);
  }

  override async handlePacket(pkt: Packet): Promise<void> {
    if (pkt.isRegisterGet && pkt.registerIdentifier === TOUCH.regWidth && this.onFirstRead) {
      const f = this.onFirstRead;
      this.onFirstRead = undefined;
      f();
    }
    await super.handlePacket(pkt);
  }

  async sendSamples(payload: Uint8Array): Promise<void> {
    await this.sendPacketAsync(Packet.from(TOUCH.reportSamples, payload));
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Sends each report at its time (ms after `t0`, a performance.now() value). */
async function sendReports(server: TouchServer, reports: Report[], t0: number): Promise<void> {
  for (const r of reports) {
    await sleep(t0 + r.time - performance.now());
    await server.sendSamples(r.payload);
  }
}

async function replay(server: TouchServer, timeline: Timeline, reports: Report[]): Promise<void> {
  const t0 = performance.now();
  let announced = -1;
  for (const r of reports) {
    if (r.digit !== announced) {
      announced = r.digit;
      const d = timeline.digits[r.digit];
      await sleep(t0 + d.start - performance.now());
      console.log(`touch digit ${d.index} label ${d.label}`);
    }
    await sendReports(server, [r], t0);
  }
  console.log("touch done");
}

/**
 * The strokes of one stdin line, `{"strokes": [[x0, y0, x1, y1, ...], ...]}`: integer points on
 * the panel, at least one; or why the line cannot be drawn.
 */
export function parseDigitLine(line: string, panelSize = DEFAULT_PANEL_SIZE): number[][] | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return "not JSON";
  }
  const strokes = (v as { strokes?: unknown } | null)?.strokes;
  if (!Array.isArray(strokes) || strokes.length === 0) return "no strokes";
  for (const [s, st] of strokes.entries()) {
    if (!Array.isArray(st) || st.length === 0 || st.length % 2 !== 0) return `stroke ${s} is not a list of x, y pairs`;
    if (!st.every((c) => Number.isInteger(c) && c >= 0 && c < panelSize)) return `stroke ${s} has a coordinate that is not an integer 0..${panelSize - 1}`;
  }
  return strokes as number[][];
}

export interface LiveOptions {
  period: number;
  strokeGap: number;
  /** ms from a digit's last sample to the next digit's first. */
  gap: number;
  batch: number;
}

/**
 * Draws the digits of `lines` (stdin) as they come, one after the other, with the replay's
 * samples and timing; the panel's clock (the samples' times) runs from `t0`. Returns when the
 * lines end and the last digit is drawn.
 */
async function drawLive(server: TouchServer, lines: AsyncIterable<string>, o: LiveOptions, t0: number): Promise<void> {
  let seq = 0;
  let next = 0;
  let k = 0;
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    const strokes = parseDigitLine(line);
    if (typeof strokes === "string") {
      console.error(`touch: bad line ${n} on stdin: ${strokes}`);
      continue;
    }
    const start = Math.max(Math.ceil(performance.now() - t0), next);
    const drawn = strokeSamples(strokes, start, k, o.period, o.strokeGap);
    const reports = groupReports(drawn.samples, o.batch, seq);
    seq = (seq + drawn.samples.length) & 0xffff;
    await sleep(t0 + start - performance.now());
    console.log(`touch drawing ${k}`);
    await sendReports(server, reports, t0);
    console.log(`touch drawn ${k}`);
    next = drawn.end + o.gap;
    k++;
  }
}

let timeline: Timeline | undefined;
let reports: Report[] = [];
let server: TouchServer | undefined;
let delay = 0;
let live: (LiveOptions & { lines: AsyncIterable<string> }) | undefined;

if (isMain(import.meta.url)) {
  void runDevice({
    name: "touch",
    summary: "a touch panel on which MNIST test digits (or, with --stdin, the parent's strokes) are drawn as pen strokes, as a Jacdac device",
    options: {
      first: { type: "int", description: "first MNIST test digit drawn", default: 0, min: 0, max: TEST_IMAGES - 1 },
      count: { type: "int", description: "digits drawn", default: 300, min: 1, max: TEST_IMAGES },
      period: { type: "int", description: "ms between samples while the pen is down", default: 10, min: 1, max: 1000 },
      strokeGap: { type: "int", description: "ms between the strokes of a digit", default: 150, min: 0, max: 60000 },
      gap: { type: "int", description: "ms of pen-up between digits (longer than the program's digit timeout)", default: 1000, min: 0, max: 60000 },
      batch: { type: "int", description: "samples per report", default: 1, min: 1, max: MAX_SAMPLES_PER_REPORT },
      delay: { type: "int", description: "ms to wait for a client to read the panel size before drawing anyway", default: 3000, min: 0, max: 3_600_000 },
      stdin: {
        type: "boolean",
        description:
          'draw the digits given on stdin, one JSON line each: {"strokes": [[x0, y0, x1, y1, ...], ...]} (no MNIST; --first and --count do not apply); exit when stdin ends',
      },
    },
    async create(o) {
      delay = o.delay;
      server = new TouchServer(DEFAULT_PANEL_SIZE, o.period);
      if (o.stdin) {
        // read from the start: lines that come before the program reads the panel wait in the stream
        const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
        const iterator = lines[Symbol.asyncIterator](); // listens now (a late iterator would miss lines)
        live = { period: o.period, strokeGap: o.strokeGap, gap: o.gap, batch: o.batch, lines: { [Symbol.asyncIterator]: () => iterator } };
        return { template: "digit-touch", description: "Digit Touch (strokes from stdin)", servers: [server] };
      }
      if (o.first + o.count > TEST_IMAGES) throw new UserError(`--first ${o.first} --count ${o.count} goes past the ${TEST_IMAGES} MNIST test digits`, 2);
      const mnist = loadMnist("test");
      timeline = replayTimeline(mnist.images, mnist.labels, o.first, o.count, { period: o.period, strokeGap: o.strokeGap, digitGap: o.gap });
      reports = groupReports(timeline.samples, o.batch);
      return { template: "digit-touch", description: `Digit Touch (MNIST test ${o.first}..${o.first + o.count - 1})`, servers: [server] };
    },
    async connected(bus) {
      const t0 = performance.now();
      console.log("touch ready");
      await new Promise<void>((resolve) => {
        server!.onFirstRead = resolve;
        setTimeout(resolve, delay);
      });
      server!.onFirstRead = undefined;
      if (!live) return replay(server!, timeline!, reports);
      await drawLive(server!, live.lines, live, t0);
      await bus.disconnect();
      process.exit(0);
    },
  });
}
