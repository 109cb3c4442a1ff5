// The deskew shear both input paths use (the deskewShear steps of the stroke rasterizer,
// stroke-raster-steps.ts, and of the camera preprocessing, camera-preprocess-geometry.ts): from
// the ink's second moments, the horizontal shear that makes its slant upright, in fixed point.
// Plain TypeScript with no imports, integer arithmetic only (the caller keeps 2 * SHEAR_ONE * cov
// and vr below 2^53, so every value is exact in doubles). The C twins (c/bnn_raster_steps.c,
// c/bnn_preprocess_geometry.c) compute the same with int64_t.

/** Fixed-point one of a shear: x moves by shear / SHEAR_ONE per unit of y. */
export const SHEAR_ONE = 256;

/**
 * round(SHEAR_ONE * cov / vr) limited to -limit..limit, with cov the covariance of x and y and
 * vr the variance of y (both scaled alike); 0 when vr <= 0 (ink on one row: nothing to deskew).
 */
export function roundedShear(cov: number, vr: number, limit: number): number {
  if (vr <= 0) return 0;
  const s = Math.floor((2 * SHEAR_ONE * cov + vr) / (2 * vr));
  return s < -limit ? -limit : s > limit ? limit : s;
}
