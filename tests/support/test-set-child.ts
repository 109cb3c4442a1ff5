/**
 * Child process of tests/test-set.test.ts (run by ./child-work.ts): every image of the MNIST
 * test set through a shipped model three ways, the XNOR/popcount reference (evaluate, what
 * metrics.json records), the ±1 multiply-accumulate network and the float BatchNorm network
 * (./independent-networks.ts). Prints one JSON object: the reference's counts and each way's
 * 10,000 digits as a string of digits.
 *
 *   node --import tsx tests/support/test-set-child.ts MODEL
 */
import { loadMnist, IMAGE_PIXELS } from "../../host/lib/mnist.ts";
import { evaluate } from "../../host/lib/model/evaluate.ts";
import { readModelFile } from "../../host/lib/model/format.ts";
import { resolveModelPath } from "../../host/lib/paths.ts";
import { reportProgress } from "./child-work.ts";
import { floatNetwork, macNetwork } from "./independent-networks.ts";

export interface TestSetDigits {
  id: string;
  correct: number;
  accuracy: number;
  total: number;
  /** Each way's digit for image i at position i. */
  digits: { reference: string; mac: string; float: string };
}

const CHUNK = 100;

async function main(name: string): Promise<TestSetDigits> {
  const model = readModelFile(resolveModelPath(name));
  const test = loadMnist("test");
  const mac = macNetwork(model);
  const float = floatNetwork(model);
  const reference: number[] = [];
  // evaluate() runs the whole set in one call: run it a chunk at a time on views of the set, so
  // progress is reported (and the lifeline timer runs) between chunks
  const e = { correct: 0, total: 0 };
  for (let start = 0; start < test.count; start += CHUNK) {
    const count = Math.min(CHUNK, test.count - start);
    const chunk = { ...test, count, images: test.images.subarray(start * IMAGE_PIXELS, (start + count) * IMAGE_PIXELS), labels: test.labels.subarray(start, start + count) };
    const r = evaluate(model, chunk, (_i, _scores, digit) => reference.push(digit));
    e.correct += r.correct;
    e.total += r.total;
    await reportProgress(start + count, test.count);
  }
  const macDigits: number[] = [];
  const floatDigits: number[] = [];
  for (let i = 0; i < test.count; i++) {
    macDigits.push(mac(test.images, i * IMAGE_PIXELS));
    floatDigits.push(float(test.images, i * IMAGE_PIXELS));
    if ((i + 1) % CHUNK === 0) await reportProgress(i + 1, test.count);
  }
  return { id: model.id, correct: e.correct, accuracy: e.correct / e.total, total: e.total, digits: { reference: reference.join(""), mac: macDigits.join(""), float: floatDigits.join("") } };
}

process.stdout.write(JSON.stringify(await main(process.argv[2])) + "\n");
