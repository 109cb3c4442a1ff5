/**
 * Long computations of a test, run in a child process so that the test worker's event loop stays
 * free (tests/support/stall-guard.ts), with a limit that follows the work: the child reports
 * progress on stderr (reportProgress), and it is stopped when it has said nothing for `idleMs`,
 * however long the whole takes. A slow or busy machine makes progress more slowly; a hung
 * computation makes none.
 *
 * The child is a TypeScript module run by Node with tsx; it exits by itself if this process dies
 * (lib/lifeline.cjs).
 */
import { fileURLToPath } from "node:url";
import { yieldToEventLoop } from "../../lib/event-loop.ts";
import { run } from "../../lib/run.ts";
import { LIFELINE } from "../../lib/processes.ts";

/** Runs `node --import tsx <module> <args>`; resolves with its stdout when it exits with 0 (default limit: 2 minutes without progress). */
export async function runChildWork(module: URL, args: string[], opts: { idleMs?: number } = {}): Promise<string> {
  const r = await run(process.execPath, ["--require", LIFELINE, "--import", "tsx", fileURLToPath(module), ...args], {
    idleMs: opts.idleMs ?? 120_000,
    timeoutMs: 0,
  });
  return r.stdout.toString("utf8");
}

/** For the child: reports progress (a line that resets the parent's idle limit) and lets its event loop run. */
export async function reportProgress(done: number, total: number): Promise<void> {
  process.stderr.write(`progress ${done}/${total}\n`);
  await yieldToEventLoop();
}
