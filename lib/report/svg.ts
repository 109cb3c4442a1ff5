/**
 * Static SVG charts for training reports: learning curves, confusion matrices and bar charts.
 * Pure and deterministic — the same input always gives a byte-identical document (no
 * timestamps, every coordinate printed with a fixed number of decimals).
 */

/** What the learning curves draw of an epoch: the fields of the trainer's EpochRecord (train/trainer.ts) the chart reads. */
export interface CurvePoint {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  validationAccuracy: number;
  /** Validation digits drawn as strokes, and held-out font digits, when the recipe has them. */
  validationStrokeAccuracy?: number;
  validationFontAccuracy?: number;
  /** Held-out pen writers' digits, when the recipe trains on pen digits. */
  validationPenAccuracy?: number;
  lr: number;
}

const FONT = `font-family="Helvetica, Arial, sans-serif"`;
const GRID = "#e5e5e5";
const AXIS = "#444";

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** A coordinate with one fixed decimal (never "-0.0"). */
function f(n: number): string {
  const s = n.toFixed(1);
  return s === "-0.0" ? "0.0" : s;
}

function text(x: number, y: number, s: string, attrs = ""): string {
  return `<text x="${f(x)}" y="${f(y)}"${attrs ? " " + attrs : ""}>${escapeXml(s)}</text>`;
}

function document(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    ...body,
    "</svg>\n",
  ].join("\n");
}

interface Scale {
  lo: number;
  hi: number;
  ticks: number[];
  decimals: number;
}

/** Round-number axis range covering [lo, hi] with about `target` ticks (steps 1, 2 or 5 × 10^k). */
function niceScale(lo: number, hi: number, target = 5, minStep = 0): Scale {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (hi - lo < 1e-12) [lo, hi] = [lo - (Math.abs(lo) * 0.1 || 1), hi + (Math.abs(hi) * 0.1 || 1)];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  let step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  step = Math.max(step, minStep);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(decimals)));
  return { lo: first * step, hi: last * step, ticks, decimals };
}

interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

interface Panel {
  x: number; // plot area, in document coordinates
  y: number;
  w: number;
  h: number;
  title: string;
  yLabel: string;
  xScale: Scale;
  yScale: Scale;
  series: Series[];
  hLine?: { value: number; label: string; color: string };
}

function renderPanel(p: Panel): string[] {
  const { x, y, w, h, xScale: xs, yScale: ys } = p;
  const sx = (v: number) => x + ((v - xs.lo) / (xs.hi - xs.lo)) * w;
  const sy = (v: number) => y + h - ((v - ys.lo) / (ys.hi - ys.lo)) * h;
  const out: string[] = [];
  for (const t of ys.ticks) {
    out.push(`<line x1="${f(x)}" y1="${f(sy(t))}" x2="${f(x + w)}" y2="${f(sy(t))}" stroke="${GRID}"/>`);
    out.push(text(x - 6, sy(t) + 4, t.toFixed(ys.decimals), `text-anchor="end" fill="${AXIS}"`));
  }
  for (const t of xs.ticks) {
    out.push(`<line x1="${f(sx(t))}" y1="${f(y)}" x2="${f(sx(t))}" y2="${f(y + h)}" stroke="${GRID}"/>`);
    out.push(text(sx(t), y + h + 16, t.toFixed(xs.decimals), `text-anchor="middle" fill="${AXIS}"`));
  }
  out.push(`<rect x="${f(x)}" y="${f(y)}" width="${f(w)}" height="${f(h)}" fill="none" stroke="${AXIS}"/>`);
  out.push(text(x, y - 10, p.title, `font-size="14" font-weight="bold"`));
  out.push(text(x + w / 2, y + h + 34, "epoch", `text-anchor="middle" fill="${AXIS}"`));
  const ly = y + h / 2;
  out.push(text(x - 42, ly, p.yLabel, `text-anchor="middle" fill="${AXIS}" transform="rotate(-90 ${f(x - 42)} ${f(ly)})"`));

  if (p.hLine) {
    const hy = sy(p.hLine.value);
    out.push(`<line x1="${f(x)}" y1="${f(hy)}" x2="${f(x + w)}" y2="${f(hy)}" stroke="${p.hLine.color}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  }
  for (const s of p.series) {
    const pts = s.points.map(([a, b]) => `${f(sx(a))},${f(sy(b))}`).join(" ");
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"/>`);
    if (s.points.length <= 40) {
      for (const [a, b] of s.points) out.push(`<circle cx="${f(sx(a))}" cy="${f(sy(b))}" r="2.5" fill="${s.color}"/>`);
    }
  }

  // Legend, right-aligned on the title row.
  const entries = [...p.series.map((s) => ({ name: s.name, color: s.color, dash: false }))];
  if (p.hLine) entries.push({ name: p.hLine.label, color: p.hLine.color, dash: true });
  // (entries that would run into the panel's title start a row above, which is clear of it)
  let lx = x + w;
  let legendY = y - 10;
  for (const e of [...entries].reverse()) {
    const tw = e.name.length * 6.5;
    const left = legendY === y - 10 ? x + p.title.length * 9 + 12 : x;
    if (lx - tw - 24 < left && lx < x + w) {
      lx = x + w;
      legendY -= 16;
    }
    lx -= tw;
    out.push(text(lx, legendY, e.name, `fill="${AXIS}"`));
    lx -= 24;
    const dash = e.dash ? ` stroke-dasharray="4 3"` : "";
    out.push(`<line x1="${f(lx)}" y1="${f(legendY - 4)}" x2="${f(lx + 18)}" y2="${f(legendY - 4)}" stroke="${e.color}" stroke-width="2"${dash}/>`);
    lx -= 12;
  }
  return out;
}

/** Accuracy (left, in %) and training loss (right) against epoch, ~900×380. */
export function learningCurvesSvg(history: CurvePoint[], opts: { title?: string; testAccuracy?: number } = {}): string {
  const W = 900;
  const H = 380;
  const epochs = history.map((r) => r.epoch);
  const xScale = niceScale(Math.min(...epochs), Math.max(...epochs), 6, 1);
  const pad = (lo: number, hi: number) => {
    const m = Math.max((hi - lo) * 0.08, 1e-6);
    return [lo - m, hi + m] as const;
  };

  const extra = (key: "validationStrokeAccuracy" | "validationFontAccuracy" | "validationPenAccuracy") => history.every((r) => r[key] !== undefined);
  const acc = history.flatMap((r) => [
    r.trainAccuracy * 100,
    r.validationAccuracy * 100,
    ...[r.validationStrokeAccuracy, r.validationFontAccuracy, r.validationPenAccuracy].filter((v): v is number => v !== undefined).map((v) => v * 100),
  ]);
  if (opts.testAccuracy !== undefined) acc.push(opts.testAccuracy * 100);
  const [alo, ahi] = pad(Math.min(...acc), Math.max(...acc));
  const accScale = niceScale(Math.max(0, alo), Math.min(100, ahi));
  const losses = history.map((r) => r.trainLoss);
  const [llo, lhi] = pad(Math.min(...losses), Math.max(...losses));
  const lossScale = niceScale(Math.max(0, llo), lhi);

  const top = opts.title ? 72 : 44;
  const geom = { y: top, w: 360, h: H - top - 50 };
  const body: string[] = [];
  if (opts.title) body.push(text(W / 2, 26, opts.title, `text-anchor="middle" font-size="16" font-weight="bold"`));
  body.push(
    ...renderPanel({
      ...geom,
      x: 70,
      title: "accuracy",
      yLabel: "accuracy (%)",
      xScale,
      yScale: accScale,
      series: [
        { name: "train", color: "#1f77b4", points: history.map((r) => [r.epoch, r.trainAccuracy * 100]) },
        { name: "validation", color: "#ff7f0e", points: history.map((r) => [r.epoch, r.validationAccuracy * 100]) },
        ...(extra("validationStrokeAccuracy")
          ? [{ name: "validation as strokes", color: "#9467bd", points: history.map((r): [number, number] => [r.epoch, r.validationStrokeAccuracy! * 100]) }]
          : []),
        ...(extra("validationFontAccuracy")
          ? [{ name: "held-out fonts", color: "#8c564b", points: history.map((r): [number, number] => [r.epoch, r.validationFontAccuracy! * 100]) }]
          : []),
        ...(extra("validationPenAccuracy")
          ? [{ name: "held-out pen writers", color: "#e377c2", points: history.map((r): [number, number] => [r.epoch, r.validationPenAccuracy! * 100]) }]
          : []),
      ],
      hLine:
        opts.testAccuracy === undefined
          ? undefined
          : { value: opts.testAccuracy * 100, label: `test ${(opts.testAccuracy * 100).toFixed(2)}%`, color: "#2ca02c" },
    }),
    ...renderPanel({
      ...geom,
      x: 520,
      title: "loss",
      yLabel: "train loss",
      xScale,
      yScale: lossScale,
      series: [{ name: "train loss", color: "#d62728", points: history.map((r) => [r.epoch, r.trainLoss]) }],
    }),
  );
  return document(W, H, body);
}

/** Fill for a cell: blue on the diagonal, red off it, intensity = row-normalised value. */
function cellFill(diagonal: boolean, intensity: number): string {
  const [r, g, b] = diagonal ? [33, 102, 172] : [178, 24, 43];
  const mix = (c: number) => Math.round(255 + (c - 255) * Math.min(1, Math.max(0, intensity)));
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

/**
 * Rows = true class, columns = predicted class (columns past the rows' count are extra answers,
 * e.g. "no digit", labelled by `columnLabels`); per-row accuracy on the right, overall in the title.
 */
export function confusionMatrixSvg(matrix: number[][], opts: { title?: string; labels?: string[]; columnLabels?: string[] } = {}): string {
  const n = matrix.length;
  const m = Math.max(n, ...matrix.map((r) => r.length));
  const cell = m <= 12 ? 40 : Math.max(14, Math.floor(480 / m));
  const fontSize = Math.max(7, Math.round(cell * 0.3));
  const label = (i: number) => opts.labels?.[i] ?? String(i);
  const columnLabel = (j: number) => opts.columnLabels?.[j] ?? label(j);
  const at = (i: number, j: number) => matrix[i]?.[j] ?? 0;
  const rowSums = matrix.map((row) => row.reduce((a, v) => a + v, 0));
  const total = rowSums.reduce((a, v) => a + v, 0);
  let correct = 0;
  for (let i = 0; i < n; i++) correct += at(i, i);

  const left = 64;
  const top = 96;
  const gridW = m * cell;
  const gridH = n * cell;
  const W = left + gridW + 72;
  const H = top + gridH + 20;
  const overall = total > 0 ? `accuracy ${((100 * correct) / total).toFixed(2)}% (${correct}/${total})` : "no samples";
  const body: string[] = [
    text(
      W / 2,
      20,
      opts.title ?? "confusion matrix",
      `text-anchor="middle" font-size="${Math.min(15, Math.floor((1.8 * (W - 16)) / Math.max(1, (opts.title ?? "confusion matrix").length)))}" font-weight="bold"`,
    ),
    text(W / 2, 40, overall, `text-anchor="middle" font-size="13"`),
    text(left + gridW / 2, 62, "predicted", `text-anchor="middle" fill="${AXIS}"`),
    text(18, top + gridH / 2, "true", `text-anchor="middle" fill="${AXIS}" transform="rotate(-90 18 ${f(top + gridH / 2)})"`),
    text(left + gridW + 36, top - 8, "acc", `text-anchor="middle" fill="${AXIS}"`),
  ];
  for (let j = 0; j < m; j++)
    body.push(
      text(left + (j + 0.5) * cell, top - 8, columnLabel(j), `text-anchor="middle" font-weight="bold"${columnLabel(j).length > 3 ? ` font-size="9"` : ""}`),
    );
  for (let i = 0; i < n; i++) {
    const cy = top + i * cell;
    body.push(text(left - 8, cy + cell / 2 + 4, label(i), `text-anchor="end" font-weight="bold"`));
    for (let j = 0; j < m; j++) {
      const v = at(i, j);
      const intensity = rowSums[i]! > 0 ? v / rowSums[i]! : 0;
      // Errors are usually a small share of a row: boost them so they stay visible.
      const shade = i === j ? intensity : Math.sqrt(intensity);
      const cx = left + j * cell;
      body.push(`<rect x="${f(cx)}" y="${f(cy)}" width="${cell}" height="${cell}" fill="${cellFill(i === j, shade)}" stroke="#ddd"/>`);
      const color = shade > 0.55 ? "#fff" : v === 0 ? "#bbb" : "#222";
      body.push(text(cx + cell / 2, cy + cell / 2 + fontSize * 0.35, String(v), `text-anchor="middle" font-size="${fontSize}" fill="${color}"`));
    }
    const rowAcc = rowSums[i]! > 0 ? `${((100 * at(i, i)) / rowSums[i]!).toFixed(1)}%` : "–";
    body.push(text(left + gridW + 36, cy + cell / 2 + 4, rowAcc, `text-anchor="middle" fill="${AXIS}"`));
  }
  body.push(`<rect x="${f(left)}" y="${f(top)}" width="${gridW}" height="${gridH}" fill="none" stroke="${AXIS}"/>`);
  return document(W, H, body);
}

function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

/** Horizontal bars with value labels (per-class accuracy, memory footprints, …). */
export function barChartSvg(items: { label: string; value: number }[], opts: { title?: string; unit?: string } = {}): string {
  const unit = opts.unit ?? "";
  const suffix = unit === "" || unit === "%" ? unit : ` ${unit}`;
  const labelW = Math.max(40, Math.max(0, ...items.map((it) => it.label.length)) * 7 + 12);
  const barMax = 420;
  const rowH = 22;
  const top = opts.title ? 44 : 12;
  const W = labelW + barMax + 90;
  const H = top + items.length * rowH + 12;
  const max = Math.max(0, ...items.map((it) => it.value));
  const body: string[] = [];
  if (opts.title) body.push(text(W / 2, 26, opts.title, `text-anchor="middle" font-size="15" font-weight="bold"`));
  items.forEach((it, i) => {
    const y = top + i * rowH;
    const w = max > 0 ? (Math.max(0, it.value) / max) * barMax : 0;
    body.push(text(labelW - 8, y + rowH / 2 + 4, it.label, `text-anchor="end"`));
    body.push(`<rect x="${f(labelW)}" y="${f(y + 3)}" width="${f(w)}" height="${f(rowH - 6)}" fill="#4c78a8"/>`);
    body.push(text(labelW + w + 6, y + rowH / 2 + 4, formatValue(it.value) + suffix, `fill="${AXIS}"`));
  });
  body.push(`<line x1="${f(labelW)}" y1="${f(top)}" x2="${f(labelW)}" y2="${f(top + items.length * rowH)}" stroke="${AXIS}"/>`);
  return document(W, H, body);
}
