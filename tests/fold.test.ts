/**
 * The folded integer network is the trained float network: every threshold neuron and conv
 * channel of the shipped models decides as its float BatchNorm neuron does, for every reachable
 * sum, and pools with AND exactly where its BatchNorm decreases. (That the float and the integer
 * networks predict the same digit on all 10,000 test images is tests/test-set.test.ts's check.)
 */
import { describe, expect, it } from "vitest";
import { testBit } from "../lib/binary.ts";
import { batchNorm } from "../lib/model/batchnorm.ts";
import { readModelFile } from "../lib/model/format.ts";
import { resolveModelPath, shippedModels } from "../lib/paths.ts";

describe.each(shippedModels())("folding of the shipped model '%s'", (name) => {
  const model = readModelFile(resolveModelPath(name));

  it("keeps the float BatchNorm parameters it was folded from, one set per layer, convolutions included", () => {
    expect(model.file.float?.length).toBe(model.conv.length + model.hidden.length + 1);
    [...model.conv, ...model.hidden, model.output].forEach((l, k) => {
      for (const p of ["gamma", "beta", "mean", "variance"] as const) expect(model.file.float![k][p], `layer ${k + 1} ${p}`).toHaveLength(l.outputs);
    });
  });

  it("gives every hidden neuron and conv channel the float neuron's decision for every reachable sum", () => {
    // a conv channel is a sign neuron over its kernel x kernel x channels patch (fold.ts)
    const layers = [...model.conv, ...model.hidden];
    layers.forEach((h, k) => {
      const bn = model.file.float![k];
      for (let j = 0; j < h.outputs; j++) {
        const flipped = bn.gamma[j] < 0;
        for (let s = -h.inputs; s <= h.inputs; s += 2) {
          const floatOn = batchNorm(bn, j, s) >= 0;
          const foldedOn = (flipped ? -s : s) >= h.thresholds[j];
          if (floatOn !== foldedOn) expect.fail(`layer ${k + 1} neuron ${j} sum ${s}: float ${floatOn}, folded ${foldedOn}`);
        }
      }
    });
    // max-pooling the sums before a decreasing BatchNorm is AND of the negated channel's bits
    model.conv.forEach((c, k) => {
      const gamma = model.file.float![k].gamma;
      for (let co = 0; co < c.outputs; co++) expect(testBit(c.poolAnd, co), `layer ${k + 1} channel ${co} pools with AND`).toBe(c.pool > 1 && gamma[co] < 0);
    });
  });
});
