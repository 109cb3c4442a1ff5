/*
 * The hot loops of training a binary convolutional network (lib/train/conv-network.ts),
 * compiled to WebAssembly SIMD by `bnn regen` (clang --target=wasm32 -O3 -msimd128; the build
 * and its hash sit next to this file as conv-kernels.wasm and conv-kernels.wasm.sha256, so
 * training needs no C toolchain). Every pointer is a byte address in the imported memory.
 *
 * Tensors are float32, batch-major and channels-last: x[b][y][x][c]. A layer is a "valid"
 * convolution (no padding) with K x K kernels, Cin -> Cout channels; a fully connected layer is
 * the convolution whose kernel covers its whole input (K = H = W), so one set of loops trains
 * both. The patch element t of output position (oy, ox) is (dy, dx, ci) with
 * t = (dy * K + dx) * Cin + ci, the order of the model file's weight rows (docs/model-format.md).
 *
 * Weights live twice, binarized after every step: Wb[t][co] for the forward pass (the output
 * channels of one input element are contiguous: a vector add per element) and WbT[co][t] for
 * the input gradient. Latent weights, their gradient and Adam's moments are [co][t].
 */
#include <stdint.h>

#define BLOCK 16

typedef float f32;

static inline int out_size(int in, int k) { return in - k + 1; }

/*
 * s[b][oy][ox][co] = sum_t x[patch t] * Wb[t][co]. The inputs are ±1, so each term adds or
 * subtracts a row of Wb; the sums are integers, exact in float32 (|s| <= K*K*Cin < 2^24).
 */
void conv_forward(const f32 *restrict x, const f32 *restrict Wb, f32 *restrict s, int B, int H, int W, int Cin, int K, int Cout) {
  const int Ho = out_size(H, K), Wo = out_size(W, K), row = K * Cin;
  for (int b = 0; b < B; b++)
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++) {
        f32 *out = s + (((b * Ho + oy) * Wo + ox) * Cout);
        int co = 0;
        for (; co + BLOCK <= Cout; co += BLOCK) {
          f32 acc[BLOCK] = {0};
          for (int dy = 0; dy < K; dy++) {
            const f32 *px = x + (((b * H + oy + dy) * W + ox) * Cin);
            const f32 *w = Wb + (dy * row) * Cout + co;
            for (int t = 0; t < row; t++) {
              const f32 v = px[t];
              const f32 *wt = w + t * Cout;
              for (int c = 0; c < BLOCK; c++) acc[c] += v * wt[c];
            }
          }
          for (int c = 0; c < BLOCK; c++) out[co + c] = acc[c];
        }
        for (; co < Cout; co++) {
          f32 acc = 0;
          for (int dy = 0; dy < K; dy++) {
            const f32 *px = x + (((b * H + oy + dy) * W + ox) * Cin);
            const f32 *w = Wb + (dy * row) * Cout + co;
            for (int t = 0; t < row; t++) acc += px[t] * w[t * Cout];
          }
          out[co] = acc;
        }
      }
}

/*
 * P x P max pooling of s[b][Ho][Wo][C] (P divides Ho and Wo) into ps[b][Ho/P][Wo/P][C]; arg
 * holds the index into s of each maximum (the first in row-major window order on ties). P = 1
 * copies.
 */
void pool_forward(const f32 *restrict s, f32 *restrict ps, int32_t *restrict arg, int B, int Ho, int Wo, int C, int P) {
  const int Hp = Ho / P, Wp = Wo / P;
  for (int b = 0; b < B; b++)
    for (int py = 0; py < Hp; py++)
      for (int px = 0; px < Wp; px++)
        for (int c = 0; c < C; c++) {
          int best = ((b * Ho + py * P) * Wo + px * P) * C + c;
          for (int dy = 0; dy < P; dy++)
            for (int dx = 0; dx < P; dx++) {
              const int i = ((b * Ho + py * P + dy) * Wo + px * P + dx) * C + c;
              if (s[i] > s[best]) best = i;
            }
          const int o = ((b * Hp + py) * Wp + px) * C + c;
          ps[o] = s[best];
          arg[o] = best;
        }
}

/*
 * BatchNorm with the batch's own statistics over the N rows of ps[N][C] (one row per sample and
 * pooled position): xhat, a = gamma * xhat + beta, and, for hidden layers (out != 0), the next
 * layer's input sign(a) (sign(0) = +1).
 */
void bn_train(const f32 *restrict ps, int N, int C, const f32 *restrict gamma, const f32 *restrict beta, f32 *restrict invstd, f32 *restrict xhat, f32 *restrict a, f32 *restrict out, f32 eps) {
  for (int c = 0; c < C; c++) {
    double sum = 0, sq = 0;
    for (int i = 0; i < N; i++) sum += ps[i * C + c];
    const double mean = sum / N;
    for (int i = 0; i < N; i++) {
      const double d = ps[i * C + c] - mean;
      sq += d * d;
    }
    const f32 is = (f32)(1.0 / __builtin_sqrt(sq / N + eps));
    invstd[c] = is;
    const f32 m = (f32)mean, g = gamma[c], be = beta[c];
    for (int i = 0; i < N; i++) {
      const f32 xh = (ps[i * C + c] - m) * is;
      xhat[i * C + c] = xh;
      const f32 v = g * xh + be;
      a[i * C + c] = v;
      if (out) out[i * C + c] = v >= 0 ? 1.0f : -1.0f;
    }
  }
}

/* From gA (gradient at the BatchNorm output) to gPS, gGamma, gBeta. */
void bn_backward(const f32 *restrict gA, const f32 *restrict xhat, const f32 *restrict gamma, const f32 *restrict invstd, int N, int C, f32 *restrict gPS, f32 *restrict gGamma, f32 *restrict gBeta) {
  for (int c = 0; c < C; c++) {
    double gg = 0, gb = 0;
    for (int i = 0; i < N; i++) {
      gg += gA[i * C + c] * xhat[i * C + c];
      gb += gA[i * C + c];
    }
    gGamma[c] = (f32)gg;
    gBeta[c] = (f32)gb;
    const f32 k = gamma[c] * invstd[c] / N, fg = (f32)gg, fb = (f32)gb;
    for (int i = 0; i < N; i++) gPS[i * C + c] = k * (N * gA[i * C + c] - fb - xhat[i * C + c] * fg);
  }
}

/* gS = 0 except at each pooling window's maximum, which gets the pooled gradient. */
void unpool(const f32 *restrict gPS, const int32_t *restrict arg, int pooled, f32 *restrict gS, int full) {
  for (int i = 0; i < full; i++) gS[i] = 0;
  for (int i = 0; i < pooled; i++) gS[arg[i]] += gPS[i];
}

/*
 * Weight gradient gWT[co][t] += sum over positions of gS * x[patch t], and, when gX != 0, the
 * input gradient gX[b][y][x][ci] += sum over the positions whose patch holds it of
 * gS * WbT[co][t] (gX must be zeroed by the caller). Pooling leaves most of gS zero, and those
 * terms are skipped.
 */
void conv_backward(const f32 *restrict x, const f32 *restrict WbT, const f32 *restrict gS, f32 *restrict gWT, f32 *restrict gX, int B, int H, int W, int Cin, int K, int Cout) {
  const int Ho = out_size(H, K), Wo = out_size(W, K), row = K * Cin, n = K * row;
  for (int b = 0; b < B; b++)
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++) {
        const f32 *g = gS + (((b * Ho + oy) * Wo + ox) * Cout);
        for (int co = 0; co < Cout; co++) {
          const f32 gv = g[co];
          if (gv == 0) continue;
          for (int dy = 0; dy < K; dy++) {
            const int at = ((b * H + oy + dy) * W + ox) * Cin;
            const f32 *px = x + at;
            f32 *gw = gWT + co * n + dy * row;
            for (int t = 0; t < row; t++) gw[t] += gv * px[t];
            if (gX) {
              const f32 *wt = WbT + co * n + dy * row;
              f32 *gx = gX + at;
              for (int t = 0; t < row; t++) gx[t] += gv * wt[t];
            }
          }
        }
      }
}

/* The straight-through estimator: gA = gX where |a| <= 1, else 0. */
void ste(const f32 *restrict gX, const f32 *restrict a, f32 *restrict gA, int n) {
  for (int i = 0; i < n; i++) gA[i] = (a[i] <= 1.0f && a[i] >= -1.0f) ? gX[i] : 0.0f;
}

/* One Adam step; with clip, the parameters are then clipped to [-1, 1] (latent weights). */
void adam(f32 *restrict p, const f32 *restrict g, f32 *restrict m, f32 *restrict v, int n, f32 step, f32 b1, f32 b2, f32 eps, int clip) {
  for (int i = 0; i < n; i++) {
    const f32 gi = g[i];
    const f32 mi = b1 * m[i] + (1 - b1) * gi;
    const f32 vi = b2 * v[i] + (1 - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    f32 q = p[i] - step * mi / (__builtin_sqrtf(vi) + eps);
    if (clip) q = q > 1 ? 1 : (q < -1 ? -1 : q);
    p[i] = q;
  }
}

/* Wb[t][co] and WbT[co][t] = sign(W[co][t]) (sign(0) = +1). */
void binarize(const f32 *restrict WT, f32 *restrict Wb, f32 *restrict WbT, int n, int Cout) {
  for (int co = 0; co < Cout; co++)
    for (int t = 0; t < n; t++) {
      const f32 v = WT[co * n + t] >= 0 ? 1.0f : -1.0f;
      WbT[co * n + t] = v;
      Wb[t * Cout + co] = v;
    }
}
