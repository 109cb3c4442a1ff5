/**
 * One monitoring session: bytes from a source -> lines -> validated results (parse.ts), printed
 * as they arrive, until --count results, --timeout seconds without a result, the end of the
 * input, or Ctrl-C. Returns the summary; a source that never delivered (a port that never
 * opened within the timeout) is an error instead.
 */
import { classifyPieces } from "./parse.ts";
import { UserError } from "../errors.ts";
import { LineSplitter } from "./lines.ts";
import { header, row, type Format } from "./render.ts";
import type { Source } from "./source.ts";
import { Tally, type Summary } from "./summary.ts";

export interface SessionOptions {
  format: Format;
  count?: number;
  timeoutS?: number;
  /** What the source is, for messages ("port /dev/ttyACM0"). */
  what: string;
  out(line: string): void;
  err(line: string): void;
}

export interface SessionResult {
  summary: Summary;
  /** Set when the session ended badly after delivering (the port vanished and stayed away). */
  error?: UserError;
}

export async function runSession(source: Source, o: SessionOptions): Promise<SessionResult> {
  const tally = new Tally();
  let opened = false;
  let finish!: (how: { ended: string; error?: UserError; fatal?: UserError }) => void;
  const done = new Promise<{ ended: string; error?: UserError; fatal?: UserError }>((resolve) => (finish = resolve));
  let finished = false;
  const end = (how: { ended: string; error?: UserError; fatal?: UserError }) => {
    if (finished) return;
    finished = true;
    finish(how);
  };

  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    if (o.timeoutS === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(() => {
      const problem = source.problem();
      const waited = `${o.timeoutS} s`;
      if (!opened) end({ ended: "timeout", fatal: new UserError(`cannot open ${o.what}: ${problem} (waited ${waited})`) });
      else if (problem) end({ ended: `timeout (${waited} without a result)`, error: new UserError(`${o.what} closed and did not come back within ${waited}`) });
      else end({ ended: `timeout (${waited} without a result)` });
    }, o.timeoutS * 1000);
  };

  const lines = new LineSplitter((line, cut) => {
    if (cut) return; // overlong: counted by the splitter, and nothing else
    // each @bnn piece on its own: two results in one line are both read, a damaged one counted
    for (const { kind, result: r } of classifyPieces(line)) {
      if (kind === "invalid") tally.invalidLines++;
      if (kind === "cut") tally.cutLines++;
      if (!r || finished) continue;
      tally.add(r);
      o.out(row(o.format, r));
      armIdle();
      if (o.count !== undefined && tally.results >= o.count) end({ ended: "count reached" });
    }
  });

  const onSignal = (sig: NodeJS.Signals) => end({ ended: sig === "SIGINT" ? "interrupted" : "terminated" });
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    armIdle();
    await source.start({
      opened() {
        opened = true;
        const first = header(o.format);
        if (first) o.out(first);
      },
      data: (chunk) => lines.push(chunk),
      broken: () => lines.reset(),
      notice: (text) => o.err(text),
      reopened: () => tally.reconnects++,
      end() {
        lines.flush();
        end({ ended: "end of input" });
      },
      fail: (error) => end({ ended: "failed", fatal: error }),
    });
    const how = await done;
    if (how.fatal) throw how.fatal;
    return { summary: tally.summary(how.ended, lines.overlong), error: how.error };
  } finally {
    clearTimeout(idle);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await source.stop();
  }
}
