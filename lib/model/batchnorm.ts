/**
 * Inference-time BatchNorm, the one expression that both the float forward pass and the
 * folding into integer thresholds evaluate (float64), so the two agree for every integer sum.
 *   a = gamma * (s - mean) / sqrt(variance + eps) + beta
 */
export const BN_EPSILON = 1e-4;

export interface BatchNormParams {
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
  mean: ArrayLike<number>;
  variance: ArrayLike<number>;
}

export function batchNorm(p: BatchNormParams, j: number, s: number): number {
  return (p.gamma[j] * (s - p.mean[j])) / Math.sqrt(p.variance[j] + BN_EPSILON) + p.beta[j];
}
