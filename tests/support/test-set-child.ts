/**
 * Child process of tests/test-set.test.ts (run by ./child-work.ts): every image of the MNIST
 * test set through a shipped model three ways, the XNOR/popcount reference (classifyImage, as
 * evaluate() runs it for metrics.json), the ±1 multiply-accumulate network and the float
 * BatchNorm network (./independent-networks.ts). Prints one JSON object: the reference's counts and each way's
 * 10,000 digits as a string of digits.
 *
 *   node --import tsx tests/support/test-set-child.ts MODEL
 */
import { loadMnist, IMAGE_PIXELS } from "../../lib/mnist.ts";
import { classifyImage } from "../../lib/model/infer.ts";
import { readModelFile } from "../../lib/model/format.ts";
import { resolveModelPath } from "../../lib/paths.ts";
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

async function main(name: string): Promise<TestSetDigits> {
  const model = readModelFile(resolveModelPath(name));
  const test = loadMnist("test");
  const mac = macNetwork(model);
  const float = floatNetwork(model);
  const digits = { reference: "", mac: "", float: "" };
  let correct = 0;
  for (let i = 0; i < test.count; i++) {
    // the reference as evaluate() runs it (what metrics.json records)
    const digit = classifyImage(model, test.images, i).digit;
    if (digit === test.labels[i]) correct++;
    digits.reference += digit;
    digits.mac += mac(test.images, i * IMAGE_PIXELS);
    digits.float += float(test.images, i * IMAGE_PIXELS);
    if ((i + 1) % 100 === 0) await reportProgress(i + 1, test.count);
  }
  return { id: model.id, correct, accuracy: correct / test.count, total: test.count, digits };
}

process.stdout.write(JSON.stringify(await main(process.argv[2])) + "\n");
