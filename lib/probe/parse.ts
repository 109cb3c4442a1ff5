/**
 * The output of the stage probe (src/probe.ts), read back: the one definition of its line format
 * (docs/probe.md describes the same, for people). A probe run prints, one line each:
 *
 *   @probe start native|bytecode-only <model>    model: the first 8 hex digits of the model id
 *   @probe <stage> <source> <case> <ms> <runs>   ms: mean ms per run, one decimal ("12.5"), or
 *                                                "n/a" with runs 0 (a native stage, no classifier)
 *   @probe done <ms>                             the whole probe, whole ms
 *
 * Fields are separated by one space. Lines may carry the console prefix of where they were read:
 * "WASM> " (the simulator's VM) or "> " (a board's DMESG log); any other line is not a probe
 * line and is skipped (the probe's `log` stage prints a result line itself). A line whose first
 * word is `@probe` but that breaks the format is an error, never skipped.
 *
 * A run: `start` first, then for every case of a source each stage of that source exactly once,
 * then `done`. The native stages carry figures exactly when `start` says native.
 */
import { ExitCode, UserError } from "../errors.ts";

/** The stages of each source, in the probe's order, and what each times (docs/probe.md). */
export const STAGES = {
  touch: ["raster", "encode", "native-strokes", "native-bits", "bytecode-scores", "format", "log"],
  camera: ["preprocess", "pack", "native-frame", "native-held-frame", "bytecode-scores", "format", "log"],
} as const;

export type Source = keyof typeof STAGES;
export const SOURCES = Object.keys(STAGES) as Source[];

/** A stage that asks the classifier service (runs only when one with the probe's model is bound). */
export function isNativeStage(stage: string): boolean {
  return stage.startsWith("native-");
}

export interface StageFigure {
  stage: string;
  source: Source;
  case: number;
  /** Mean ms per run; null when the stage did not run (`n/a`). */
  ms: number | null;
  runs: number;
}

export type ProbeLine = { kind: "start"; native: boolean; model: string } | ({ kind: "stage" } & StageFigure) | { kind: "done"; ms: number };

export interface ProbeRun {
  /** The probe found a classifier service with its model, so the native stages ran. */
  native: boolean;
  model: string;
  stages: StageFigure[];
  /** The probe's own total (`@probe done`). */
  probeMs: number;
}

/** A line or a run that breaks the probe's format. */
export class ProbeFormatError extends UserError {
  constructor(message: string) {
    super(message, ExitCode.BadInput);
    this.name = "ProbeFormatError";
  }
}

const PREFIX = /^(?:WASM>\s?|>\s?)?/;
const MS = /^\d+\.\d$/;
const WHOLE = /^\d+$/;

/**
 * One line: its meaning, or undefined for a line that is not a probe line. Throws
 * ProbeFormatError for a malformed probe line.
 */
export function parseProbeLine(text: string): ProbeLine | undefined {
  const body = text.replace(/\r$/, "").replace(PREFIX, "");
  if (!body.startsWith("@probe")) return undefined;
  const f = body.split(" ");
  const bad = (why: string) => new ProbeFormatError(`malformed probe line '${body.slice(0, 80)}': ${why}`);
  if (f[0] !== "@probe") throw bad("the first word must be @probe");
  if (f[1] === "start") {
    if (f.length !== 4) throw bad("want @probe start native|bytecode-only <model>");
    if (f[2] !== "native" && f[2] !== "bytecode-only") throw bad(`'${f[2]}' is neither native nor bytecode-only`);
    if (!/^[0-9a-f]{8}$/.test(f[3])) throw bad(`model '${f[3]}' is not 8 hex digits`);
    return { kind: "start", native: f[2] === "native", model: f[3] };
  }
  if (f[1] === "done") {
    if (f.length !== 3 || !WHOLE.test(f[2])) throw bad("want @probe done <whole ms>");
    return { kind: "done", ms: Number(f[2]) };
  }
  if (f.length !== 6) throw bad("want @probe <stage> <source> <case> <ms> <runs>");
  const [, stage, source, kase, ms, runs] = f;
  if (!(SOURCES as string[]).includes(source)) throw bad(`unknown source '${source}' (sources: ${SOURCES.join(", ")})`);
  const src = source as Source;
  if (!(STAGES[src] as readonly string[]).includes(stage)) throw bad(`unknown ${src} stage '${stage}' (stages: ${STAGES[src].join(", ")})`);
  if (!WHOLE.test(kase)) throw bad(`case '${kase}' is not a whole number`);
  if (!WHOLE.test(runs)) throw bad(`runs '${runs}' is not a whole number`);
  if (ms === "n/a") {
    if (!isNativeStage(stage)) throw bad("only native stages may be n/a");
    if (runs !== "0") throw bad("an n/a stage has 0 runs");
    return { kind: "stage", stage, source: src, case: Number(kase), ms: null, runs: 0 };
  }
  if (!MS.test(ms)) throw bad(`ms '${ms}' is not a number with one decimal or n/a`);
  if (runs === "0") throw bad("a timed stage has at least 1 run");
  return { kind: "stage", stage, source: src, case: Number(kase), ms: Number(ms), runs: Number(runs) };
}

/**
 * Reads a probe run line by line (as a VM or a serial port delivers it) and checks it as a whole.
 * push() throws ProbeFormatError at the first line that breaks the format or the run's order.
 */
export class ProbeReader {
  private start: { native: boolean; model: string } | undefined;
  private doneMs: number | undefined;
  private readonly stages: StageFigure[] = [];
  private readonly seen = new Set<string>();

  /** True once `@probe done` arrived. */
  get done(): boolean {
    return this.doneMs !== undefined;
  }

  /** Whether `@probe start` said native; undefined before it arrived. */
  get native(): boolean | undefined {
    return this.start?.native;
  }

  push(text: string): ProbeLine | undefined {
    const l = parseProbeLine(text);
    if (!l) return undefined;
    if (this.done) throw new ProbeFormatError(`a probe line after @probe done: '${text.trim().slice(0, 80)}'`);
    if (l.kind === "start") {
      if (this.start) throw new ProbeFormatError("a second @probe start");
      this.start = { native: l.native, model: l.model };
      return l;
    }
    if (!this.start) throw new ProbeFormatError(`a probe line before @probe start: '${text.trim().slice(0, 80)}'`);
    if (l.kind === "done") {
      this.complete();
      this.doneMs = l.ms;
      return l;
    }
    const key = `${l.stage} ${l.source} ${l.case}`;
    if (this.seen.has(key)) throw new ProbeFormatError(`stage ${key} twice`);
    if (isNativeStage(l.stage) && (l.ms !== null) !== this.start.native) {
      throw new ProbeFormatError(
        `stage ${key} is ${l.ms === null ? "n/a although the probe started native" : "timed although the probe started bytecode-only"}`,
      );
    }
    this.seen.add(key);
    const { kind: _, ...figure } = l;
    this.stages.push(figure);
    return l;
  }

  /** Every case seen has every stage of its source. */
  private complete(): void {
    for (const source of SOURCES) {
      const cases = new Set(this.stages.filter((s) => s.source === source).map((s) => s.case));
      if (cases.size === 0) throw new ProbeFormatError(`no ${source} stages before @probe done`);
      for (const k of cases) {
        const missing = STAGES[source].filter((st) => !this.seen.has(`${st} ${source} ${k}`));
        if (missing.length) throw new ProbeFormatError(`${source} case ${k} lacks stage${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
      }
    }
  }

  /** The whole run; throws when `@probe done` has not arrived. */
  result(): ProbeRun {
    if (!this.start) throw new ProbeFormatError("no @probe start line");
    if (this.doneMs === undefined) throw new ProbeFormatError("the probe output ends without @probe done");
    return { native: this.start.native, model: this.start.model, stages: this.stages.slice(), probeMs: this.doneMs };
  }
}

/** A whole probe log (text with any other lines mixed in). */
export function parseProbeLog(text: string): ProbeRun {
  const r = new ProbeReader();
  for (const line of text.split("\n")) r.push(line);
  return r.result();
}
