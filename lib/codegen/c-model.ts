/**
 * The model as the generated C holds it (CModel), read from a model's TypeScript weight tables
 * (src/generated/models/<name>.ts, the single source) and checked against the C's limits: what the C
 * generator (generate.ts), the baselines, verification, the report and the benchmarks work from.
 */
import { UserError } from "../errors.ts";
import { wordsFor } from "../binary.ts";
import { columnsForm, rowsFromColumns, type ColumnsForm } from "../model/columns.ts";
import { cLimitProblems } from "../model/limits.ts";
import type { Tables } from "../export/load-tables.ts";
import type { ConvShape } from "../model/format.ts";

export interface CLayer {
  inputs: number;
  outputs: number;
  words: number;
  weights: Uint32Array;
}

/**
 * A hidden layer (or a convolution's patch): its rows, thresholds and the columns form the tables
 * hold, checked against them (generate.ts writes it, report.ts sizes it).
 */
export interface CHiddenLayer extends CLayer {
  thresholds: Int16Array;
  form: ColumnsForm;
}

/** A convolution layer (format version 2): a hidden layer over each position's patch, then pooling. */
export interface CConv extends ConvShape {
  outHeight: number;
  outWidth: number;
  /** The patch as a hidden layer: kernel*kernel*channels inputs, one neuron per output channel. */
  patch: CHiddenLayer;
  poolAnd: Uint32Array;
}

export interface CModel {
  name: string;
  id: string;
  width: number;
  height: number;
  threshold: number;
  shift: number;
  conv: CConv[];
  hidden: CHiddenLayer[];
  output: CLayer & { scale: Int32Array; offset: Int32Array };
}

function view<T>(bytes: unknown, ctor: { new (b: ArrayBuffer): T }, what: string): T {
  if (!(bytes instanceof Uint8Array)) throw new UserError(`weight tables: ${what} is not a buffer`);
  return new ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
}

function sameWords(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] >>> 0 !== b[i] >>> 0) return false;
  return true;
}

/**
 * Decodes the tables module into typed arrays, checking every size against LAYER_SIZES. Hidden
 * layers come as columns (lib/model/columns.ts): the rows are their transpose, and the
 * counter starts must be exactly what the columns and thresholds give (a table edited by hand,
 * or written by an older `bnn export`, is refused here).
 */
export function modelFromTables(t: Tables): CModel {
  const sizes = t.LAYER_SIZES;
  const words = (k: number, name: string, expected: number): Uint32Array => {
    const w = view(t[`L${k}_${name}`], Uint32Array, `L${k}_${name}`);
    if (w.length !== expected) throw new UserError(`weight tables: L${k}_${name} holds ${w.length} words, expected ${expected}`);
    return w;
  };
  // a hidden layer in columns form, its rows recovered and its counters checked
  const columnsLayer = (P: string, inputs: number, outputs: number): CHiddenLayer => {
    const table = (name: string, expected: number): Uint32Array => {
      const w = view(t[`${P}_${name}`], Uint32Array, `${P}_${name}`);
      if (w.length !== expected) throw new UserError(`weight tables: ${P}_${name} holds ${w.length} words, expected ${expected}`);
      return w;
    };
    const columns = table("COLUMNS", inputs * wordsFor(outputs));
    const thresholds = view(t[`${P}_THRESHOLDS`], Int16Array, `${P}_THRESHOLDS`);
    if (thresholds.length !== outputs) throw new UserError(`weight tables: ${P}_THRESHOLDS has ${thresholds.length} entries, expected ${outputs}`);
    const layer = { inputs, outputs, words: wordsFor(inputs), weights: rowsFromColumns(columns, inputs, outputs), thresholds };
    const form = columnsForm(layer);
    if (t[`${P}_PLANES`] !== form.planes)
      throw new UserError(`weight tables: ${P}_PLANES is ${String(t[`${P}_PLANES`])}, the columns and thresholds need ${form.planes} (run bnn regen)`);
    if (!sameWords(table("K_EVEN", form.kEven.length), form.kEven) || !sameWords(table("ODD_DEC", form.oddDec.length), form.oddDec)) {
      throw new UserError(`weight tables: ${P}_K_EVEN/ODD_DEC disagree with ${P}_COLUMNS and ${P}_THRESHOLDS (run bnn regen)`);
    }
    return { ...layer, form };
  };
  const conv = convFromTables(t, columnsLayer);
  const flat = conv.length ? conv[conv.length - 1].outHeight * conv[conv.length - 1].outWidth * conv[conv.length - 1].outputs : t.INPUT_WIDTH * t.INPUT_HEIGHT;
  if (sizes[0] !== flat)
    throw new UserError(`weight tables: LAYER_SIZES starts at ${sizes[0]}, but the ${conv.length ? "last convolution gives" : "input has"} ${flat}`);
  const hidden = Array.from({ length: t.HIDDEN_LAYERS }, (_, i) => columnsLayer(`L${i + 1}`, sizes[i], sizes[i + 1]));
  const L = t.HIDDEN_LAYERS + 1;
  const inputs = sizes[L - 1];
  const outputs = sizes[L];
  const o: CLayer = { inputs, outputs, words: wordsFor(inputs), weights: words(L, "WEIGHTS", wordsFor(inputs) * outputs) };
  // the C's limits, refused here, where a model enters the generator
  const problems = cLimitProblems(t.INPUT_WIDTH * t.INPUT_HEIGHT, hidden, o);
  if (problems.length) throw new UserError(`model ${t.MODEL_NAME} does not fit the generated C: ${problems.join("; ")}`);
  const scale = view(t[`L${L}_SCALE`], Int32Array, `L${L}_SCALE`);
  const offset = view(t[`L${L}_OFFSET`], Int32Array, `L${L}_OFFSET`);
  if (scale.length !== o.outputs || offset.length !== o.outputs) throw new UserError(`weight tables: L${L}_SCALE/OFFSET sizes differ from ${o.outputs}`);
  return {
    name: t.MODEL_NAME,
    id: t.MODEL_ID,
    width: t.INPUT_WIDTH,
    height: t.INPUT_HEIGHT,
    threshold: t.INPUT_THRESHOLD,
    shift: t.SCORE_SHIFT,
    conv,
    hidden,
    output: { ...o, scale, offset },
  };
}

/** The convolution layers of the tables (CONV_LAYERS, C<k>_*), their shapes chained from the image. */
function convFromTables(t: Tables, columnsLayer: (P: string, inputs: number, outputs: number) => CHiddenLayer): CConv[] {
  const count = t.CONV_LAYERS ?? 0;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0 || count > 16) throw new UserError("weight tables: CONV_LAYERS is not a layer count");
  let shape = [t.INPUT_HEIGHT, t.INPUT_WIDTH, 1];
  return Array.from({ length: count }, (_, i) => {
    const P = `C${i + 1}`;
    const s = t[`${P}_SHAPE`];
    if (!Array.isArray(s) || s.length !== 6) throw new UserError(`weight tables: ${P}_SHAPE must be [height, width, channels, kernel, outputs, pool]`);
    const [height, width, channels, kernel, outputs, pool] = s as number[];
    if (height !== shape[0] || width !== shape[1] || channels !== shape[2])
      throw new UserError(
        `weight tables: ${P}_SHAPE input ${height}x${width}x${channels}, but the ${i ? "previous layer gives" : "input is"} ${shape.join("x")}`,
      );
    if (!(kernel >= 1 && kernel <= 15 && kernel <= height && kernel <= width)) throw new UserError(`weight tables: ${P}_SHAPE kernel ${kernel} does not fit`);
    if (!(outputs >= 32 && outputs % 32 === 0 && outputs <= 32 * 32))
      throw new UserError(`weight tables: ${P}_SHAPE has ${outputs} output channels; the C needs a multiple of 32, at most 1024`);
    if (!(channels === 1 || channels % 32 === 0))
      throw new UserError(`weight tables: ${P}_SHAPE has ${channels} input channels; the C needs 1 or a multiple of 32`);
    const ch = height - kernel + 1;
    const cw = width - kernel + 1;
    if (!(pool >= 1 && ch % pool === 0 && cw % pool === 0)) throw new UserError(`weight tables: ${P}_SHAPE pooling ${pool} does not divide ${ch}x${cw}`);
    const patch = columnsLayer(P, kernel * kernel * channels, outputs);
    const poolAnd = view(t[`${P}_POOL_AND`], Uint32Array, `${P}_POOL_AND`);
    if (poolAnd.length !== outputs / 32) throw new UserError(`weight tables: ${P}_POOL_AND holds ${poolAnd.length} words, expected ${outputs / 32}`);
    if (pool === 1 && poolAnd.some((w) => w !== 0)) throw new UserError(`weight tables: ${P}_POOL_AND marks channels of a layer that does not pool`);
    shape = [ch / pool, cw / pool, outputs];
    return { height, width, channels, kernel, outputs, pool, outHeight: ch / pool, outWidth: cw / pool, patch, poolAnd };
  });
}
