/**
 * The order test files start in: the longest work first, so that it overlaps everything else
 * instead of running alone at the end. These files spend their time waiting on child processes
 * (the verification matrix's compilers and emulators, the simulated board in real time, the whole
 * test set in child processes) while the short files run beside them; started last, each would
 * add its whole length to the run. Figures: wall-clock seconds alone on a 2-core machine.
 * The rest keep vitest's order.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

export const LONG_FIRST = [
  "tests/verify.test.ts", // about 300 s: every backend on 10,000 images, three models
  "tests/sim.long.test.ts", // about 150 s: the simulated board in real time
  "tests/test-set.test.ts", // about 60 s: the whole test set three ways, three models
  "tests/report.test.ts", // about 75 s: QEMU traces and rp2040js
  "tests/sim.test.ts", // about 50 s
  "tests/firmware.test.ts", // about 45 s: devs bundle twice, bnn firmware fifteen times
  "tests/preprocess-c.test.ts", // about 45 s
];

export default class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const k = LONG_FIRST.findIndex((name) => f.moduleId.endsWith(name));
      return k < 0 ? LONG_FIRST.length : k;
    };
    // a stable sort: files of the same rank keep vitest's order
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}
