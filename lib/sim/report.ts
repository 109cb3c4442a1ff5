/**
 * What a run of the simulated board (run.ts) tells its caller: each thing as it happens, through
 * a SimReporter, and the summary at the end. The command decides how it is shown (`bnn sim`:
 * plain text by render.ts, JSON lines, or the board's raw stream).
 */
import type { Summary } from "../monitor/summary.ts";
import type { StreamResult } from "../../src/shared/stream-format.ts";

export interface SimSummary extends Summary {
  source: string;
  /** Results whose digit and scores equal the TypeScript reference's for the same input. */
  agreeWithReference: number;
  /** p50 bytecode inference over p50 native, when both backends reported results. */
  nativeSpeedup: number | null;
  /** The test images the input device served (null with --draw). */
  firstImage: number | null;
  lastImage: number | null;
  /** --draw: digits the page sent, drawings it saved. */
  drawn?: number;
  saved?: number;
  /** --strokes: the file replayed and the samples of it. */
  strokeFile?: string;
  firstSample?: number;
  lastSample?: number;
}

/** What a run says, as it happens; the command shows it (plain text, JSON lines, the board's raw stream). */
export interface SimReporter {
  /** A line for the person watching: the hub, each start-up stage, a fault injected, a save, the drawing page. */
  say(line: string): void;
  /** A fact for a program reading along: the hub, each process started (name, PID), a save, the drawing page. */
  event(e: Record<string, unknown>): void;
  /** A line of the board's own serial stream, as a board would send it (not the DeviceScript CLI's). */
  boardLine(line: string): void;
  /** A line the VM printed (its "WASM> " prefix removed) that is an error, a panic or the program's own "bnn: " message. */
  vmNote(text: string): void;
  /** A result line, labelled, and whether it equals the reference. */
  result(r: StreamResult, reference: boolean): void;
  /** The summary, once everything is stopped; said before the run fails, too. */
  summary(s: SimSummary): void;
}
