/**
 * One drawing session of `bnn sim --draw`: the digits the page sent, in order, and what became
 * of each. Digit k sent is the simulated panel's digit k (devices/touch.ts --stdin draws them in
 * the order given, each after a pen-up longer than the program's digit timeout), so it is the
 * program's touch digit k and its result line has seq k. The session keeps each digit's strokes
 * and the host's reference for them (lib/draw/reference.ts), saves drawings, and turns the
 * device's and the program's lines into events for the page.
 */
import type { Verdict } from "../classify.ts";
import type { Model } from "../model/format.ts";
import type { ParsedResult } from "../monitor/parse.ts";
import { displayPath } from "../paths.ts";
import { hexDigits } from "../../src/shared/stream-format.ts";
import { drawingReference, type DrawingReference } from "./reference.ts";
import { appendSample, sampleId, type SavedSample } from "./save.ts";
import { pageStrokes } from "./strokes.ts";

export interface SessionOptions {
  model: Model;
  width: number;
  height: number;
  /** The file saves are appended to (checked by saveFile()). */
  saveFile: string;
  /** Hands one JSON line to the simulated panel; false when it is not running. */
  toPanel(line: string): boolean;
  /** Sends an event to the open pages. */
  broadcast(event: string, data: unknown): void;
  /** Told of each save (the terminal, --json). */
  saved?(sample: SavedSample, file: string): void;
}

export interface BoardStatus {
  text: string;
  ready: boolean;
  backend?: string;
  model?: string;
  stopped?: boolean;
}

interface Digit {
  strokes: number[][];
  reference: DrawingReference;
}

export class DrawSession {
  private digits: Digit[] = [];
  private saves = 0;

  /** Drawings saved so far. */
  get savedCount(): number {
    return this.saves;
  }
  private status: BoardStatus = { text: "the simulated board is starting ...", ready: false };
  private last: unknown;

  constructor(private o: SessionOptions) {}

  /** Digits sent to the panel so far. */
  get sent(): number {
    return this.digits.length;
  }

  /** POST /digit {strokes}: draws them on the simulated panel; returns the digit's seq. */
  submit(body: unknown): { seq: number; points: number } {
    const strokes = pageStrokes((body as { strokes?: unknown } | null)?.strokes, this.o.width, this.o.height);
    const seq = this.digits.length;
    if (!this.o.toPanel(JSON.stringify({ strokes }) + "\n")) throw new Error("the simulated touch panel is not running");
    this.digits.push({ strokes, reference: drawingReference(this.o.model, strokes, this.o.width, this.o.height) });
    const points = strokes.reduce((n, s) => n + s.length / 2, 0);
    this.o.broadcast("progress", { seq, state: "queued" });
    return { seq, points };
  }

  /** POST /save {label, strokes}: appends the drawing to the save file as a labelled sample. */
  save(body: unknown): { id: string; label: number; file: string } {
    const b = (body ?? {}) as { label?: unknown; strokes?: unknown };
    if (typeof b.label !== "number" || !Number.isInteger(b.label) || b.label < 0 || b.label > 9) throw new Error("label must be a digit 0..9");
    const strokes = pageStrokes(b.strokes, this.o.width, this.o.height);
    const sample = appendSample(this.o.saveFile, sampleId(this.saves + 1), b.label, strokes, this.o.width, this.o.height);
    this.saves++;
    this.o.saved?.(sample, this.o.saveFile);
    return { id: sample.id, label: sample.label, file: displayPath(this.o.saveFile) };
  }

  /** The board's touch path on the host for digit `seq` (what bnn sim checks its result against); undefined if never sent. */
  expected(seq: number): Verdict | undefined {
    const d = this.digits[seq];
    if (!d) return undefined;
    if (d.reference.noDigit) return { digit: null, noDigit: d.reference.noDigit, scores: null };
    return { digit: d.reference.digit, noDigit: null, scores: Array.from(d.reference.scores) };
  }

  /** A line of the simulated panel ("touch drawing k", "touch drawn k"). */
  panelLine(line: string): void {
    const m = /^touch (drawing|drawn) (\d+)/.exec(line);
    if (m) this.o.broadcast("progress", { seq: Number(m[2]), state: m[1] === "drawing" ? "drawing" : "classifying" });
  }

  /** A line of the program in the VM: its start line says it is ready. */
  programLine(line: string): void {
    const m = /bnn: model ([0-9a-f]+), source (\w+), backend (\w+)/.exec(line);
    if (m) this.setStatus({ text: `ready: model ${m[1].slice(0, 8)}, backend ${m[3]}`, ready: true, backend: m[3], model: m[1].slice(0, 8) });
  }

  setStatus(s: BoardStatus): void {
    this.status = s;
    this.o.broadcast("status", s);
  }

  /** The board's result line for one of our digits, checked against the reference (`reference`). */
  result(r: ParsedResult, line: string, reference: boolean): void {
    const d = this.digits[r.seq];
    if (!d) return;
    const at = line.indexOf("@bnn");
    const ref = d.reference;
    this.last = {
      seq: r.seq,
      line: at >= 0 ? line.slice(at).trim() : line.trim(),
      board: {
        digit: r.digit,
        noDigit: r.noDigit,
        runnersUp: r.runnersUp,
        scoresCrc: hexDigits(r.scoresCrc, 4),
        totalMs: r.totalMs,
        inferenceUs: r.inferenceUs,
        backend: r.backend,
        model: r.model,
      },
      host: {
        scores: Array.from(ref.scores),
        digit: ref.digit,
        scoresCrc: hexDigits(ref.scoresCrc, 4),
        scoreShift: this.o.model.output.shift,
        bits: ref.bits,
        ink: ref.ink,
      },
      // the line's CRC of all ten scores equals the host's: the bars are the board's scores
      scoresMatchBoard: r.digit >= 0 && r.scoresCrc === ref.scoresCrc,
      reference,
    };
    this.o.broadcast("result", this.last);
  }

  /** What a page that connects now is told first. */
  hello(): { event: string; data: unknown }[] {
    return [{ event: "status", data: this.status }, ...(this.last ? [{ event: "result", data: this.last }] : [])];
  }
}
