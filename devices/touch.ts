/**
 * Simulated Digit Touch panel (services/digittouch.md) on the DeviceScript devtools hub: "writes"
 * MNIST test digits first..first+count-1 as pen strokes (host/lib/touch/strokes-from-image.ts),
 * one sample every --period ms, a pen-up gap of --stroke-gap ms between strokes and of --gap ms
 * (longer than the program's digit timeout) between digits, so the DeviceScript program receives
 * digits with known labels the way it would from a CST816S panel.
 *
 *   node --import tsx devices/touch.ts --first 0 --count 300 [--url ws://127.0.0.1:8081]
 *        [--period 10] [--stroke-gap 150] [--gap 1000] [--batch 1] [--delay 3000]
 *
 * Prints "touch ready" once connected and "touch digit <i> label <l>" as it starts writing test
 * digit i, then "touch done". The replay starts when a client first reads a register (a program
 * reads width/height before it scales strokes) or --delay ms after connecting, whichever comes
 * first. Writes to sample_period are stored but the replay keeps --period.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { JDServiceServer, Packet } from "jacdac-ts";
import { loadMnist } from "../host/lib/mnist.ts";
import { customSpec, joinHub } from "./hub.ts";
import { DEFAULT_PANEL_SIZE, strokesFromImage } from "../host/lib/touch/strokes-from-image.ts";
import { MAX_SAMPLES_PER_REPORT, REPORT_SAMPLES, SAMPLE_SIZE, SAMPLES_HEADER_SIZE } from "../src/touch/rasterize.ts";

const REG_WIDTH = 0x180;
const REG_HEIGHT = 0x181;
const REG_SAMPLE_PERIOD = 0x80;

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
    strokes.forEach((st, s) => {
      if (s > 0) t += strokeGap;
      for (let i = 0; i + 1 < st.length; i += 2) {
        samples.push({ time: t, x: st[i], y: st[i + 1], pressed: true, digit: k });
        t += period;
      }
      samples.push({ time: t, x: st[st.length - 2], y: st[st.length - 1], pressed: false, digit: k });
    });
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

/** Encodes a `samples` report: seq, reserved, then time, x, y, pressed, fingers per sample. */
export function encodeSamples(seq: number, samples: TimedSample[]): Uint8Array {
  const out = new Uint8Array(SAMPLES_HEADER_SIZE + SAMPLE_SIZE * samples.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, seq & 0xffff, true);
  samples.forEach((s, i) => {
    const o = SAMPLES_HEADER_SIZE + SAMPLE_SIZE * i;
    v.setUint16(o, s.time & 0xffff, true);
    v.setUint16(o + 2, s.x, true);
    v.setUint16(o + 4, s.y, true);
    out[o + 6] = s.pressed ? 1 : 0;
    out[o + 7] = s.pressed ? 1 : 0;
  });
  return out;
}

/**
 * Groups the samples into reports of up to `batch` samples; a report ends at a pen-up sample,
 * so a stroke's end is never held back.
 */
export function groupReports(samples: TimedSample[], batch = 1): Report[] {
  const size = Math.max(1, Math.min(MAX_SAMPLES_PER_REPORT, Math.floor(batch)));
  const reports: Report[] = [];
  let seq = 0;
  let group: TimedSample[] = [];
  for (const s of samples) {
    if (group.length > 0 && group[0].digit !== s.digit) throw new Error("a report spans two digits");
    group.push(s);
    if (group.length >= size || !s.pressed) {
      reports.push({ time: s.time, digit: s.digit, payload: encodeSamples(seq, group) });
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

  constructor(serviceClass: number, panelSize: number, period: number) {
    super(serviceClass);
    this.addRegister(REG_WIDTH, [panelSize]);
    this.addRegister(REG_HEIGHT, [panelSize]);
    this.addRegister(REG_SAMPLE_PERIOD, [period]);
  }

  override async handlePacket(pkt: Packet): Promise<void> {
    if (pkt.isRegisterGet && pkt.registerIdentifier === REG_WIDTH && this.onFirstRead) {
      const f = this.onFirstRead;
      this.onFirstRead = undefined;
      f();
    }
    await super.handlePacket(pkt);
  }

  async sendSamples(payload: Uint8Array): Promise<void> {
    await this.sendPacketAsync(Packet.from(REPORT_SAMPLES, payload));
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

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
    await sleep(t0 + r.time - performance.now());
    await server.sendSamples(r.payload);
  }
  console.log("touch done");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      first: { type: "string", default: "0" },
      count: { type: "string", default: "300" },
      url: { type: "string", default: "ws://127.0.0.1:8081" },
      period: { type: "string", default: "10" },
      "stroke-gap": { type: "string", default: "150" },
      gap: { type: "string", default: "1000" },
      batch: { type: "string", default: "1" },
      delay: { type: "string", default: "3000" },
    },
  });
  const num = (name: keyof typeof values, min: number): number => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${values[name]}'`);
    return n;
  };
  const first = num("first", 0);
  const count = num("count", 1);
  if (first + count > 10000) throw new Error(`--first ${first} --count ${count} goes past the 10000 MNIST test digits`);
  const options: ReplayOptions = { period: num("period", 1), strokeGap: num("stroke-gap", 0), digitGap: num("gap", 0) };
  const { spec, specs } = customSpec("digittouch");

  const mnist = loadMnist("test");
  const timeline = replayTimeline(mnist.images, mnist.labels, first, count, options);
  const reports = groupReports(timeline.samples, num("batch", 1));

  const server = new TouchServer(spec.classIdentifier, DEFAULT_PANEL_SIZE, options.period!);
  await joinHub(values.url!, specs, "digit-touch", [server], `Digit Touch (MNIST test ${first}..${first + count - 1})`);
  console.log("touch ready");

  await new Promise<void>((resolve) => {
    server.onFirstRead = resolve;
    setTimeout(resolve, num("delay", 0));
  });
  server.onFirstRead = undefined;
  await replay(server, timeline, reports);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(`touch: ${(e as Error).message}`);
    process.exit(1);
  });
}
