/**
 * What a simulated board does while it starts, said as it happens, so a slow start (seconds on an
 * idle machine, tens of seconds on a busy one) is never a silent one: each stage once as it
 * begins, then, while it lasts, `... still <stage> (N s)` every few seconds, never more often.
 *
 * The stages after `bnn sim` starts the DeviceScript VM come from the lines the DeviceScript CLI
 * prints: "using devs: ..." (the CLI is loaded: it compiles the program next), "self-deployed
 * <file>" (compiled and deployed: the program starts and looks for its devices, about a second);
 * the program's first line of its own ("bnn: ...": its model, source and backend) ends the
 * start-up. Measured on an idle 2-core machine (src/main.ts): about 1 s to load the CLI, 2.5 s to
 * compile, 1 s until the program's first line.
 */

/** A `still` line at most this often. */
const STILL_EVERY_MS = 5000;

export class StartupReporter {
  private still: string | undefined;
  private since = 0;
  private compileStart: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly say: (line: string) => void,
    private readonly everyMs = STILL_EVERY_MS,
  ) {}

  /** A new stage: `line` is said now, and `still` (what it is doing) every few seconds while it lasts; after end(), only `line`. */
  begin(line: string, still: string): void {
    this.say(line);
    if (this.ended) return;
    this.still = still;
    this.since = performance.now();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.say(`  ... still ${this.still} (${Math.round((performance.now() - this.since) / 1000)} s)`), this.everyMs);
    this.timer.unref();
  }

  /** A line of the VM started for `entry` (the DeviceScript CLI's output, colors removed): the VM's stages. */
  vmLine(line: string, entry: string): void {
    if (this.ended) return;
    if (/^using devs: /.test(line)) {
      this.compileStart = performance.now();
      this.begin(`  VM: compiling ${entry} ...`, `compiling ${entry}`);
    } else if (/^self-deployed /.test(line)) {
      const s = this.compileStart === undefined ? "" : ` in ${((performance.now() - this.compileStart) / 1000).toFixed(1)} s`;
      this.begin(`  VM: ${entry} compiled and deployed${s}; the program starts and looks for its devices ...`, "waiting for the program's first line");
    } else if (/^(WASM>\s*)?bnn: /.test(line)) this.end();
  }

  /** The board is up (or the run is over): no more `still` lines. */
  end(): void {
    this.ended = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
