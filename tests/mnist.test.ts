import { writeFileSync, copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scratchDir } from "./helpers.ts";
import { UserError } from "../lib/errors.ts";
import { loadMnist, loadMnistAsync, mnistDir, parseImages, parseLabels } from "../lib/mnist.ts";

function header(magic: number, ...dims: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b.writeUInt32BE(magic, 0);
  dims.forEach((d, k) => b.writeUInt32BE(d, 4 + 4 * k));
  return b;
}

describe("MNIST idx files", () => {
  it("loads the official 60,000 / 10,000 sets, the same asynchronously (one cache)", async () => {
    const train = await loadMnistAsync("train");
    expect(loadMnist("train")).toBe(train);
    const test = loadMnist("test");
    expect(await loadMnistAsync("test")).toBe(test);
    expect(train.count).toBe(60000);
    expect(test.count).toBe(10000);
    expect(test.images.length).toBe(10000 * 784);
    expect(Array.from(test.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
  });

  it("rejects a bad magic number, wrong counts, sizes and truncation with one-line errors", () => {
    const ok = Buffer.concat([header(0x803, 2, 28, 28), Buffer.alloc(2 * 784)]);
    expect(parseImages(ok, "x").length).toBe(2 * 784);
    expect(() => parseImages(Buffer.concat([header(0x801, 2, 28, 28), Buffer.alloc(2 * 784)]), "x")).toThrow(/bad magic/);
    expect(() => parseImages(Buffer.concat([header(0x803, 2, 28, 28), Buffer.alloc(784)]), "x")).toThrow(/size/);
    expect(() => parseImages(Buffer.concat([header(0x803, 2, 32, 32), Buffer.alloc(2 * 1024)]), "x")).toThrow(/28x28/);
    expect(() => parseImages(ok, "x", 3)).toThrow(/expected 3/);
    expect(() => parseImages(Buffer.alloc(7), "x")).toThrow(/truncated/);
    expect(() => parseLabels(Buffer.concat([header(0x801, 2), Buffer.from([1, 12])]), "y")).toThrow(/not a digit/);
    expect(() => parseLabels(Buffer.concat([header(0x801, 3), Buffer.from([1, 2])]), "y")).toThrow(UserError);
  });

  it("names a missing or corrupt file", () => {
    const dir = scratchDir("mnist");
    expect(() => loadMnist("test", dir)).toThrow(/MNIST file missing: .*t10k-images-idx3-ubyte/);
    mkdirSync(join(dir, "c"));
    copyFileSync(join(mnistDir(), "t10k-labels-idx1-ubyte"), join(dir, "c", "t10k-labels-idx1-ubyte"));
    writeFileSync(join(dir, "c", "t10k-images-idx3-ubyte"), Buffer.concat([header(0x803, 10000, 28, 28), Buffer.alloc(100)]));
    expect(() => loadMnist("test", join(dir, "c"))).toThrow(/size 116 bytes, header implies 7840016/);
  });
});
