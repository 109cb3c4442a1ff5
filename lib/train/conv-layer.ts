/**
 * One layer of the training-time binary convolutional network (conv-network.ts): its arrays,
 * which live in the WebAssembly kernels' memory, and its steps (sums and max pooling, BatchNorm
 * and sign forward, the straight-through backward pass, Adam), each a call of one of the
 * kernels of conv-kernels.c.
 */
import { BN_EPSILON, batchNorm } from "../model/batchnorm.ts";
import type { TrainedConvLayer } from "../model/trained.ts";
import type { SeededRng } from "../rng.ts";
import type { Arena } from "./kernels.ts";

export interface ConvKernels {
  conv_forward(x: number, Wb: number, s: number, B: number, H: number, W: number, Cin: number, K: number, Cout: number): void;
  pool_forward(s: number, ps: number, arg: number, B: number, Ho: number, Wo: number, C: number, P: number): void;
  bn_train(ps: number, N: number, C: number, gamma: number, beta: number, invstd: number, xhat: number, a: number, out: number, eps: number): void;
  bn_backward(gA: number, xhat: number, gamma: number, invstd: number, N: number, C: number, gPS: number, gGamma: number, gBeta: number): void;
  unpool(gPS: number, arg: number, pooled: number, gS: number, full: number): void;
  conv_backward(x: number, WbT: number, gS: number, gWT: number, gX: number, B: number, H: number, W: number, Cin: number, K: number, Cout: number): void;
  ste(gX: number, a: number, gA: number, n: number): void;
  adam(p: number, g: number, m: number, v: number, n: number, step: number, b1: number, b2: number, eps: number, clip: number): void;
  binarize(WT: number, Wb: number, WbT: number, n: number, Cout: number): void;
}

export class ConvLayer {
  readonly Ho: number;
  readonly Wo: number;
  readonly Hp: number;
  readonly Wp: number;
  /** Patch length K * K * Cin. */
  readonly n: number;
  readonly inSize: number;
  readonly sumSize: number;
  readonly outSize: number;
  readonly WT: Float32Array;
  readonly Wb: Float32Array;
  readonly WbT: Float32Array;
  readonly gWT: Float32Array;
  readonly mW: Float32Array;
  readonly vW: Float32Array;
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly mGamma: Float32Array;
  readonly vGamma: Float32Array;
  readonly mBeta: Float32Array;
  readonly vBeta: Float32Array;
  readonly gGamma: Float32Array;
  readonly gBeta: Float32Array;
  readonly invstd: Float32Array;
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  /** Sums [b][Ho][Wo][C], pooled sums and their argmax [b][Hp][Wp][C]. */
  readonly s: Float32Array;
  readonly ps: Float32Array;
  readonly arg: Int32Array;
  readonly xhat: Float32Array;
  readonly a: Float32Array;
  /** sign(a): the next layer's input (hidden layers). */
  readonly out: Float32Array;
  readonly gA: Float32Array;
  readonly gPS: Float32Array;
  readonly gS: Float32Array;
  /** Gradient at this layer's input (not for the first layer). */
  readonly gX: Float32Array | undefined;

  constructor(
    readonly H: number,
    readonly W: number,
    readonly Cin: number,
    readonly K: number,
    readonly Cout: number,
    readonly P: number,
    readonly hidden: boolean,
    readonly first: boolean,
    readonly capacity: number,
    private readonly arena: Arena<ConvKernels>,
  ) {
    this.Ho = H - K + 1;
    this.Wo = W - K + 1;
    this.Hp = this.Ho / P;
    this.Wp = this.Wo / P;
    this.n = K * K * Cin;
    this.inSize = H * W * Cin;
    this.sumSize = this.Ho * this.Wo * Cout;
    this.outSize = this.Hp * this.Wp * Cout;
    const w = this.n * Cout;
    const f = (k: number) => arena.f32(k);
    this.WT = f(w);
    this.Wb = f(w);
    this.WbT = f(w);
    this.gWT = f(w);
    this.mW = f(w);
    this.vW = f(w);
    this.gamma = f(Cout).fill(1);
    this.beta = f(Cout);
    this.mGamma = f(Cout);
    this.vGamma = f(Cout);
    this.mBeta = f(Cout);
    this.vBeta = f(Cout);
    this.gGamma = f(Cout);
    this.gBeta = f(Cout);
    this.invstd = f(Cout);
    this.mean = new Float64Array(Cout);
    this.variance = new Float64Array(Cout).fill(1);
    this.s = f(capacity * this.sumSize);
    const pooled = P > 1;
    this.ps = pooled ? f(capacity * this.outSize) : this.s;
    this.arg = pooled ? arena.i32(capacity * this.outSize) : new Int32Array(0);
    this.xhat = f(capacity * this.outSize);
    this.a = f(capacity * this.outSize);
    this.out = hidden ? f(capacity * this.outSize) : new Float32Array(0);
    this.gA = f(capacity * this.outSize);
    this.gPS = f(capacity * this.outSize);
    this.gS = pooled ? f(capacity * this.sumSize) : this.gPS;
    this.gX = first ? undefined : f(capacity * this.inSize);
  }

  static arenaBytes(H: number, W: number, Cin: number, K: number, Cout: number, P: number, capacity: number): number {
    const Ho = H - K + 1;
    const Wo = W - K + 1;
    const sum = Ho * Wo * Cout;
    const out = (Ho / P) * (Wo / P) * Cout;
    return 4 * (6 * K * K * Cin * Cout + 12 * Cout + capacity * (2 * sum + 7 * out + H * W * Cin)) + 64 * 32;
  }

  /** The WebAssembly kernels this layer's arrays live with (tests call them directly). */
  get k(): ConvKernels {
    return this.arena.kernels;
  }

  /** Glorot-uniform latent weights, then binarize. */
  init(rng: SeededRng): void {
    const limit = Math.sqrt(6 / (this.n + this.Cout));
    for (let i = 0; i < this.WT.length; i++) this.WT[i] = rng.uniform(-limit, limit);
    this.binarizeWeights();
  }

  binarizeWeights(): void {
    this.k.binarize(this.WT.byteOffset, this.Wb.byteOffset, this.WbT.byteOffset, this.n, this.Cout);
  }

  /** s and the pooled ps for `count` inputs x[b][H][W][Cin] (±1). */
  sums(x: Float32Array, count: number): void {
    const { k } = this;
    k.conv_forward(x.byteOffset, this.Wb.byteOffset, this.s.byteOffset, count, this.H, this.W, this.Cin, this.K, this.Cout);
    if (this.P > 1) k.pool_forward(this.s.byteOffset, this.ps.byteOffset, this.arg.byteOffset, count, this.Ho, this.Wo, this.Cout, this.P);
  }

  /** Training forward: sums, batch-statistics BatchNorm, sign() into out. */
  forwardTrain(x: Float32Array, count: number): void {
    this.sums(x, count);
    this.k.bn_train(
      this.ps.byteOffset,
      count * this.Hp * this.Wp,
      this.Cout,
      this.gamma.byteOffset,
      this.beta.byteOffset,
      this.invstd.byteOffset,
      this.xhat.byteOffset,
      this.a.byteOffset,
      this.hidden ? this.out.byteOffset : 0,
      BN_EPSILON,
    );
  }

  /** Inference forward (float64 BatchNorm, the expression the folding uses): a, and out for hidden layers. */
  forwardInference(x: Float32Array, count: number): void {
    this.sums(x, count);
    const { Cout, ps, a, out } = this;
    const total = count * this.outSize;
    for (let i = 0, c = 0; i < total; i++) {
      const v = batchNorm(this, c, ps[i]);
      a[i] = v;
      if (this.hidden) out[i] = v >= 0 ? 1 : -1;
      if (++c === Cout) c = 0;
    }
  }

  /** From gA to the weight gradient and, unless first, prev.gA through the STE. */
  backward(x: Float32Array, count: number, prev: ConvLayer | undefined): void {
    const { k } = this;
    const rows = count * this.Hp * this.Wp;
    k.bn_backward(
      this.gA.byteOffset,
      this.xhat.byteOffset,
      this.gamma.byteOffset,
      this.invstd.byteOffset,
      rows,
      this.Cout,
      this.gPS.byteOffset,
      this.gGamma.byteOffset,
      this.gBeta.byteOffset,
    );
    if (this.P > 1) k.unpool(this.gPS.byteOffset, this.arg.byteOffset, count * this.outSize, this.gS.byteOffset, count * this.sumSize);
    this.gWT.fill(0);
    const gX = prev ? this.gX! : undefined;
    gX?.fill(0, 0, count * this.inSize);
    k.conv_backward(
      x.byteOffset,
      this.WbT.byteOffset,
      this.gS.byteOffset,
      this.gWT.byteOffset,
      gX ? gX.byteOffset : 0,
      count,
      this.H,
      this.W,
      this.Cin,
      this.K,
      this.Cout,
    );
    if (prev && gX) k.ste(gX.byteOffset, prev.a.byteOffset, prev.gA.byteOffset, count * this.inSize);
  }

  adamStep(lr: number, t: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8): void {
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    const step = (lr * Math.sqrt(c2)) / c1;
    const { k } = this;
    k.adam(this.WT.byteOffset, this.gWT.byteOffset, this.mW.byteOffset, this.vW.byteOffset, this.WT.length, step, beta1, beta2, eps, 1);
    k.adam(this.gamma.byteOffset, this.gGamma.byteOffset, this.mGamma.byteOffset, this.vGamma.byteOffset, this.Cout, step, beta1, beta2, eps, 0);
    k.adam(this.beta.byteOffset, this.gBeta.byteOffset, this.mBeta.byteOffset, this.vBeta.byteOffset, this.Cout, step, beta1, beta2, eps, 0);
    this.binarizeWeights();
  }

  snapshot(): TrainedConvLayer {
    const weights = new Int8Array(this.n * this.Cout);
    for (let i = 0; i < weights.length; i++) weights[i] = this.Wb[i] > 0 ? 1 : -1;
    return {
      height: this.H,
      width: this.W,
      channels: this.Cin,
      kernel: this.K,
      outputs: this.Cout,
      pool: this.P,
      weights,
      gamma: Float64Array.from(this.gamma),
      beta: Float64Array.from(this.beta),
      mean: Float64Array.from(this.mean),
      variance: Float64Array.from(this.variance),
    };
  }
}
