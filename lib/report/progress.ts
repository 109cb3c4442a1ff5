/**
 * Terminal progress bar for long loops (training epochs, dataset passes). On a TTY it redraws
 * one line in place; otherwise it prints a plain line at each 10% step so logs stay readable.
 */

export type ProgressStream = NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean; columns?: number };

/** `m:ss` below an hour, `h:mm:ss` above; `--:--` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Units per second with an SI suffix, e.g. `48.2k/s`; `unit` goes before `/s` (`48.2k img/s`). */
export function formatRate(perSecond: number, unit = ""): string {
  const u = unit ? ` ${unit}/s` : "/s";
  if (!Number.isFinite(perSecond)) return `-${u}`;
  const [scaled, prefix] =
    perSecond >= 1e9 ? [perSecond / 1e9, "G"] : perSecond >= 1e6 ? [perSecond / 1e6, "M"] : perSecond >= 1e3 ? [perSecond / 1e3, "k"] : [perSecond, ""];
  return `${scaled.toFixed(scaled >= 100 ? 0 : 1)}${prefix}${u}`;
}

const REDRAW_MS = 100;

export class ProgressBar {
  private readonly label: string;
  private readonly total: number;
  private readonly stream: ProgressStream;
  private readonly unit: string;
  private readonly start = performance.now();
  private lastDraw = -Infinity;
  private lastStep = 0;
  private done = 0;
  private fields: Record<string, string> = {};

  constructor(opts: { label: string; total: number; stream?: ProgressStream; unit?: string }) {
    this.label = opts.label;
    this.total = Math.max(0, opts.total);
    this.stream = opts.stream ?? process.stderr;
    this.unit = opts.unit ?? "";
  }

  update(done: number, fields?: Record<string, string>): void {
    this.done = done;
    if (fields) this.fields = { ...this.fields, ...fields };
    if (this.stream.isTTY) {
      const now = performance.now();
      if (now - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = now;
      this.stream.write(`\r${this.ttyLine()}\x1b[K`);
    } else {
      // One line per 10% step crossed; 100% is left to finish().
      const step = Math.min(9, Math.floor((10 * done) / Math.max(1, this.total)));
      if (step <= this.lastStep) return;
      this.lastStep = step;
      this.stream.write(`${this.plainLine()}\n`);
    }
  }

  finish(fields?: Record<string, string>): void {
    if (fields) this.fields = { ...this.fields, ...fields };
    this.stream.write(this.stream.isTTY ? `\r${this.ttyLine()}\x1b[K\n` : `${this.plainLine()}\n`);
  }

  /** Percent, count, rate, ETA and extra fields — everything except label and bar. */
  private stats(): string {
    const elapsed = (performance.now() - this.start) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const eta = rate > 0 ? Math.max(0, this.total - this.done) / rate : Infinity;
    const parts = [
      `${(frac * 100).toFixed(0).padStart(3)}%`,
      `${this.done}/${this.total}`,
      formatRate(rate, this.unit),
      `eta ${formatDuration(eta)}`,
      ...Object.entries(this.fields).map(([k, v]) => `${k} ${v}`),
    ];
    return parts.join("  ");
  }

  private plainLine(): string {
    return `${this.label}  ${this.stats()}`;
  }

  private ttyLine(): string {
    const cols = this.stream.columns || 80;
    const stats = this.stats();
    const frac = this.total > 0 ? Math.min(1, Math.max(0, this.done / this.total)) : 1;
    const width = Math.max(10, Math.min(50, cols - this.label.length - stats.length - 6));
    const filled = Math.round(frac * width);
    const line = `${this.label} ${"█".repeat(filled)}${"░".repeat(width - filled)} ${stats}`;
    return line.length >= cols ? line.slice(0, cols - 1) : line;
  }
}
