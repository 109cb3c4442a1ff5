import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  argmax,
  dotMac,
  dotPacked,
  dotXnor,
  hardSigmoid,
  lastWordMask,
  packSigns,
  popcount32,
  sign,
  stochasticSign,
  unpackSigns,
  wordsFor,
} from "../lib/binary.ts";
import { SeededRng } from "../lib/rng.ts";

const pm1 = (n: number) => fc.array(fc.constantFrom(-1, 1), { minLength: n, maxLength: n });

describe("sign (eq. 1.3)", () => {
  it("maps 0 to +1, as eq. 1.3 says (not the chapter's C++ x > 0)", () => {
    expect(sign(0)).toBe(1);
    expect(sign(-0)).toBe(1);
    expect(sign(1e-300)).toBe(1);
    expect(sign(-1e-300)).toBe(-1);
  });
  it("packs zero as bit 1", () => {
    expect(packSigns([0, -1, 0.5])[0]).toBe(0b101);
  });
});

describe("the chapter's worked example", () => {
  it("gives 3 by multiply-accumulate and by XNOR/popcount", () => {
    const a = [10, -10, -5, 9, -8, 2, 3, 1, -11].map(sign);
    const b = [12, -18, -13, -13, -14, -15, 11, 12, 13].map(sign);
    expect(dotMac(a, b)).toBe(3);
    const pa = packSigns(a);
    const pb = packSigns(b);
    expect(dotXnor(pa, pb, 9)).toBe(3);
    expect(dotPacked(pa, pb, 9)).toBe(3);
  });
});

describe("packing", () => {
  it("puts element 32j+i in bit i of word j and leaves padding bits 0", () => {
    const v = new Array(40).fill(-1);
    v[0] = 1;
    v[31] = 1;
    v[32] = 1;
    v[39] = 1;
    const w = packSigns(v);
    expect(w.length).toBe(2);
    expect(w[0]).toBe((1 | (1 << 31)) >>> 0);
    expect(w[1]).toBe(0b10000001);
    expect(w[1] & ~lastWordMask(40)).toBe(0);
  });
  it("round-trips", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }).chain(pm1), (v) => {
        expect(Array.from(unpackSigns(packSigns(v), v.length))).toEqual(v);
      }),
    );
  });
});

describe("XNOR/popcount equals the ±1 multiply-accumulate", () => {
  it("for random lengths, including non-multiples of 32", () => {
    const pair = fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(pm1(n), pm1(n)));
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const n = a.length;
        const pa = packSigns(a);
        const pb = packSigns(b);
        const mac = dotMac(a, b);
        expect(dotXnor(pa, pb, n)).toBe(mac);
        expect(dotPacked(pa, pb, n)).toBe(mac);
        expect(wordsFor(n)).toBe(pa.length);
      }),
      { numRuns: 500 },
    );
  });
  it("popcount32 counts bits", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (x) => {
        let naive = 0;
        for (let i = 0; i < 32; i++) naive += (x >>> i) & 1;
        expect(popcount32(x)).toBe(naive);
      }),
    );
  });
});

describe("stochastic binarization (eqs. 1.4-1.5)", () => {
  it("hard sigmoid clips", () => {
    expect(hardSigmoid(-3)).toBe(0);
    expect(hardSigmoid(0)).toBe(0.5);
    expect(hardSigmoid(0.5)).toBe(0.75);
    expect(hardSigmoid(2)).toBe(1);
  });
  it("is +1 with probability sigma(x), reproducibly for a seed", () => {
    const draw = (seed: number) => {
      const rng = new SeededRng(seed);
      return Array.from({ length: 20000 }, () => stochasticSign(0.5, () => rng.next()));
    };
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    const p = a.filter((x) => x === 1).length / a.length;
    expect(Math.abs(p - 0.75)).toBeLessThan(0.015);
    const rng = new SeededRng(1);
    expect(stochasticSign(-1, () => rng.next())).toBe(-1);
    expect(stochasticSign(1, () => rng.next())).toBe(1);
  });
});

describe("argmax", () => {
  it("takes the lowest index on ties", () => {
    expect(argmax([1, 5, 5, 2])).toBe(1);
    expect(argmax([-3, -3])).toBe(0);
  });
});
