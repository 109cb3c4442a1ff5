// What the stroke rasterizer's pipeline (stroke-raster.ts, which describes the method) and its
// steps (stroke-raster-steps.ts) share: the method's constants and the state one call hands from
// step to step (Raster). The C twins: the constants in firmware-codegen/c/bnn_raster.h,
// bnn_raster_state_t in firmware-codegen/c/bnn_raster_state.h.

/** Output grid side and bits. */
export const RASTER_SIDE = 28;
export const RASTER_BITS = 784;
/** Fine units per output pixel. */
export const FINE = 16;
/** The longer side of the ink's bounding box, pen included, in output pixels. */
export const BOX_PIXELS = 20;
/** Pen radius in fine units (1.4 px: about as wide as an MNIST stroke above the input threshold). */
export const PEN_RADIUS = 22;
/** Largest distance between two disc centres along a stroke, fine units. */
export const STEP = 8;
/** Fine coordinate of the pixel centre the centre of mass is moved to (pixel 14). */
export const CENTRE = 14 * 16 + 8;
/** Largest number of discs drawn: caps the work for a scribble (600 discs stay well inside the DeviceScript VM's 128k steps without a yield). */
export const MAX_DISCS = 600;
/** Largest deskew shear either way, in 1/SHEAR_ONE (deskew.ts; SHEAR_ONE: 45 degrees). */
export const SHEAR_MAX = 256;
/** Largest reduced coordinate in the moment sums (coordinates are divided down to it). */
export const MOMENT_RANGE = 255;
/** Points the deskew moments are taken from (the first ones; a finger's digit has far fewer). */
export const MOMENT_POINTS = 16384;

/** Index access to numbers: a DeviceScript Buffer, a Node typed array, an array. */
export interface Bits {
  [index: number]: number;
  readonly length: number;
}

/** The longer side of the box, pen excluded, in fine units: where `side` maps to. */
export const SPAN = BOX_PIXELS * FINE - 2 * PEN_RADIUS;

/**
 * What the steps of rasterizeBits hand on besides the strokes, each step filling its part (the
 * C's bnn_raster_state_t). The disc centres are in no state: discCentres and drawDiscs each walk
 * them from the strokes (stroke-raster-steps.ts). Points are clamped to 0..maxX, 0..maxY;
 * sheared coordinates are in 1/SHEAR_ONE panel units. (A step copies the fields its loops read
 * into locals: in DeviceScript a field read is a lookup, a local is not.)
 */
export interface Raster {
  maxX: number;
  maxY: number;
  /** 1. pointBox: the clamped points' box minX..boxX, minY..boxY, and their count. */
  minX: number;
  minY: number;
  boxX: number;
  boxY: number;
  points: number;
  /** 2. deskewShear: the shear of the points' second moments. */
  shear: number;
  /** 3. shearedBox: the sheared x range lowX..lowX + wideX, the height tallY, the longer side (>= SHEAR_ONE), the width rounded to panel units. */
  lowX: number;
  wideX: number;
  tallY: number;
  side: number;
  boxWidth: number;
  /** 4. discCentres: the number of disc centres and their sums. */
  discs: number;
  sumX: number;
  sumY: number;
  /** 5. placeCentre: the move, fine units. */
  offX: number;
  offY: number;
}
