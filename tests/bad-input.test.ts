/**
 * Every command against a table of bad inputs: each gets one line on stderr starting with
 * "bnn: ", the documented exit code (2 usage, 3 bad input, 4 would overwrite, 5 a check found a
 * difference), no stack trace, and nothing written: neither in the scratch folder the inputs
 * live in, nor in the repository. The rows name the defects they reproduce.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_MODEL_BYTES, serializeModel } from "../lib/model/format.ts";
import { ROOT } from "../lib/paths.ts";
import { randomModel, scratchDir } from "./helpers.ts";
import { bnn } from "./run-bnn.ts";
import { run } from "../lib/run.ts";
import { allCommands } from "../cli/main.ts";

const work = scratchDir("bad-input");
const p = (name: string) => join(work, name);

/** Names, sizes and modification times of everything under `dir`. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const f = join(d, name);
      const s = statSync(f);
      out.push(`${f} ${s.size} ${s.mtimeMs}`);
      if (s.isDirectory()) walk(f);
    }
  };
  walk(dir);
  return out;
}

const gitStatus = async () => (await run("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: ROOT })).stdout.toString("utf8");

beforeAll(() => {
  // a model of each shape the commands cannot handle, and paths of each wrong kind
  const write = (name: string, m: ReturnType<typeof randomModel>) => writeFileSync(p(name), serializeModel(m.file));
  write("small-input.json", randomModel(31, { width: 20, height: 20, hidden: [16] }));
  write("one-output.json", randomModel(32, { hidden: [16], outputs: 1 }));
  write("eleven-outputs.json", randomModel(33, { hidden: [16], outputs: 11 }));
  write("ok.json", randomModel(34, { hidden: [24] }));
  const named = (name: string) => {
    const m = randomModel(35, { hidden: [8] }).file;
    return serializeModel({ ...m, name });
  };
  writeFileSync(p("escaping-name.json"), named("../../../../tmp/x/pwned"));
  writeFileSync(p("long-name.json"), named("a".repeat(5000)));
  mkdirSync(p("folder-without-model"));
  mkdirSync(p("a-folder"));
  writeFileSync(p("plain-file"), "not a folder\n");
  writeFileSync(p("plain-file.uf2"), "the user's\n");
  writeFileSync(p("tables.ts"), "export const MODEL_NAME = 12\n");
  // the shipped tables with one counter-start bit flipped, and with a wrong plane count
  const shipped = readFileSync(join(ROOT, "src", "generated", "models", "default.ts"), "utf8");
  const kEven = /(export const L1_K_EVEN = hex`\s*)([0-9a-f])/.exec(shipped)!;
  const flipped = (parseInt(kEven[2], 16) ^ 1).toString(16);
  writeFileSync(p("edited-starts.ts"), shipped.replace(kEven[0], kEven[1] + flipped));
  writeFileSync(p("wrong-planes.ts"), shipped.replace(/export const L2_PLANES = \d+/, "export const L2_PLANES = 31"));
  const sample = '{"width": 240, "height": 240, "strokes": [[[120, 30], [121, 210]]], "label": 1}';
  writeFileSync(p("ok.jsonl"), sample + "\n");
  writeFileSync(p("float.jsonl"), sample + "\n" + sample.replace("[121, 210]", "[1.5, 210]") + "\n");
  writeFileSync(p("panel-320.jsonl"), sample.replace('"width": 240', '"width": 320') + "\n");
  writeFileSync(p("no-pen-up.tra"), '.SEGMENT DIGIT 0 ? "3"\n.PEN_DOWN\n10 20\n30 40\n');
  // issue 21: a folder holding the user's own bnn_model.c; a model folder without model.json but
  // with the user's metrics; the shipped default tables as a model of one's own named default;
  // a model file over the size limit (sparse: no disk used); model files with a duplicate key
  // and with a byte that is not UTF-8; a PGM whose width has 11 digits
  mkdirSync(p("c-user"));
  writeFileSync(p("c-user/bnn_model.c"), "keep\n");
  mkdirSync(p("trained-elsewhere"));
  writeFileSync(p("trained-elsewhere/metrics.json"), "{}\n");
  writeFileSync(p("own-default.ts"), shipped);
  writeFileSync(p("huge-model.json"), "");
  truncateSync(p("huge-model.json"), MAX_MODEL_BYTES + 1);
  const okModel = readFileSync(p("ok.json"), "utf8");
  writeFileSync(p("duplicate-key.json"), okModel.replace(/\n "name": /, '\n "name": "twice",\n "name": '));
  const notUtf8 = (text: string, at: string) =>
    Buffer.concat([Buffer.from(text.slice(0, text.indexOf(at) + at.length)), Buffer.from([0xff]), Buffer.from(text.slice(text.indexOf(at) + at.length))]);
  writeFileSync(p("not-utf8.json"), notUtf8(okModel, '"id": "'));
  writeFileSync(p("not-utf8.jsonl"), notUtf8(sample.replace('"label": 1', '"label": 1, "id": "a"') + "\n", '"id": "'));
  writeFileSync(p("huge.pgm"), "P5\n12345678901 2 255\n");
  // bnn firmware: a UF2 and a .bin that are not firmware (every row fails before bundling)
  writeFileSync(p("image.uf2"), "not a uf2\n");
  writeFileSync(p("image.bin"), "not a bin\n");
  writeFileSync(p("stream.txt"), "@bnn 1 seq=1 src=touch digit=1 label=1 us=5 backend=native model=00000000 scores=1,2*00\n");
}, 60_000);

type Row = [label: string, args: string[], code: number, message: RegExp];

// biome-ignore format: a table, one bad input per row
const firmwareRows = (): Row[] => [
  ["firmware: neither a firmware checkout nor an image", ["firmware"], 2, /give --firmware-dir DIR .* or --image FILE/],
  ["firmware: both", ["firmware", "--firmware-dir", p("a-folder"), "--image", p("image.uf2")], 2, /give --firmware-dir DIR .* or --image FILE/],
  ["firmware: an unknown board", ["firmware", "--image", p("image.uf2"), "--board", "pico9"], 2, /no board 'pico9' in boards\//],
  ["firmware: an unknown input", ["firmware", "--image", p("image.uf2"), "--inputs", "pen"], 2, /--inputs pen: give touch, camera or both/],
  ["firmware: a folder that is not a firmware checkout", ["firmware", "--firmware-dir", p("a-folder"), "--patch-only"], 3, /is not a devicescript-pico or devicescript-esp32 checkout/],
  ["firmware: a firmware folder that does not exist", ["firmware", "--firmware-dir", p("no-such-folder")], 3, /no-such-folder: no such folder/],
  ["firmware: a missing image", ["firmware", "--image", p("no-such.uf2")], 3, /--image .*no-such\.uf2: no such file/],
  ["firmware: an image of the other chip's kind", ["firmware", "--image", p("image.bin")], 2, /a rp2040 firmware image is a \.uf2 file/],
  ["firmware: a model of one's own without its program", ["firmware", "--image", p("image.uf2"), "--model", p("ok.json")], 2, /is not a shipped model: give --program/],
  ["firmware: an image that is not a UF2 file", ["firmware", "--image", p("image.uf2")], 3, /image\.uf2 is not a UF2 file/],
  ["firmware: --out over a file of the user's", ["firmware", "--image", p("image.uf2"), "--out", p("plain-file.uf2")], 4, /plain-file\.uf2 exists; pass --force/],
  ["firmware: --out into the generated tables", ["firmware", "--image", p("image.uf2"), "--out", join(ROOT, "src", "generated", "x.uf2")], 4, /src\/generated holds generated files only bnn regen writes/],
];

// biome-ignore format: a table, one bad input per row
const rows = (): Row[] => [
  // sim
  ["sim: an option that does not apply (--restart-classifier-at with bytecode)", ["sim", "--backend", "bytecode", "--restart-classifier-at", "3"], 2, /--restart-classifier-at needs --backend native/],
  ["sim: --first with samples", ["sim", "--source", "samples", "--first", "5"], 2, /--first does not apply to --source samples/],
  ["sim: --pen-up without touch", ["sim", "--source", "camera", "--pen-up", "700"], 2, /--pen-up only applies to --source touch/],
  ["sim: a negative count", ["sim", "--count", "-1"], 2, /--count must be at least 1; got -1/],
  ["sim: a port that is not one", ["sim", "--port", "70000"], 2, /--port .* must be a TCP port number/],
  ["sim: an unknown model", ["sim", "--model", "huge"], 2, /--model: no shipped model 'huge'/],
  ["sim: --json with --raw", ["sim", "--json", "--raw"], 2, /--json or --raw, not both/],
  ["sim: --draw with --source camera", ["sim", "--draw", "--source", "camera"], 2, /--draw only applies to --source touch/],
  ["sim: --draw with --source samples", ["sim", "--draw", "--source", "samples"], 2, /--draw only applies to --source touch/],
  ["sim: --draw with --first (the page gives the digits)", ["sim", "--draw", "--first", "5"], 2, /--first does not apply with --draw/],
  ["sim: --draw with --timeout (it runs until Ctrl-C)", ["sim", "--draw", "--timeout", "60"], 2, /--timeout does not apply with --draw/],
  ["sim: --http-port without --draw", ["sim", "--http-port", "8080"], 2, /--http-port only applies with --draw/],
  ["sim: --save without --draw", ["sim", "--save", p("drawn.jsonl")], 2, /--save only applies with --draw/],
  ["sim: --http-port out of range", ["sim", "--draw", "--http-port", "70000"], 2, /--http-port must be at most 65535/],
  ["sim: --draw --save naming a folder", ["sim", "--draw", "--save", p("a-folder")], 3, /--save .*a-folder is a folder/],
  ["sim: --draw --save into the generated tables (issue 21)", ["sim", "--draw", "--save", join(ROOT, "src", "generated", "models", "drawn.jsonl")], 4, /holds generated files only bnn regen writes/],
  ["sim: --count in hexadecimal (issue 21: was 16)", ["sim", "--count", "0x10"], 2, /--count needs a decimal number; got '0x10'/],
  ["sim: --draw --save in a missing folder", ["sim", "--draw", "--save", p("missing/drawn.jsonl")], 3, /--save .*: the folder .*missing does not exist/],
  // train
  ["train: --out over the user's metrics and pictures, no model.json (issue 21)", ["train", "--preset", "tiny", "--out", p("trained-elsewhere")], 4, /metrics\.json exists; pass --force/],
  ["train: --out \"\" (issue 21: wrote into the current folder)", ["train", "--preset", "tiny", "--out", ""], 2, /--out is empty; give a path/],
  ["train: --out naming a plain file (fails before training)", ["train", "--preset", "tiny", "--out", p("plain-file")], 3, /--out .*plain-file is a file, not a folder/],
  ["train: --out under /proc (no endless mkdir)", ["train", "--preset", "tiny", "--out", "/proc/bnn-test/x"], 3, /the folder \/proc\/bnn-test does not exist/],
  ["train: --conv with channels that do not fill words", ["train", "--conv", "5x30", "--out", p("t")], 2, /--conv must list layers as KxC or KxCpP .*got '5x30'/],
  ["train: --conv pooling that does not divide", ["train", "--preset", "cnn-tiny", "--conv", "5x32p5", "--out", p("t")], 2, /layer 1: pooling 5 does not divide its 24x24 output/],
  ["train: --conv with stochastic binarization", ["train", "--conv", "5x32p2", "--stochastic", "--out", p("t")], 2, /stochastic binarization is not implemented for convolution layers/],
  ["train: a name that is a path", ["train", "--preset", "tiny", "--name", "../x", "--out", p("t")], 2, /--name must be lowercase letters/],
  ["train: a hidden layer wider than the C holds", ["train", "--hidden", "2000"], 2, /between 1 and 1024/],
  // eval
  ["eval: a 1-output model", ["eval", "--model", p("one-output.json")], 3, /scores 1 classes; eval runs it on the MNIST test set, which has 10 digits/],
  ["eval: an 11-output model", ["eval", "--model", p("eleven-outputs.json")], 3, /scores 11 classes/],
  ["eval: a 20x20-input model", ["eval", "--model", p("small-input.json")], 3, /takes 20x20 images/],
  ["eval: a folder without model.json", ["eval", "--model", p("folder-without-model")], 3, /is a folder without a model.json/],
  ["eval: --dump naming a folder", ["eval", "--dump", p("a-folder")], 3, /--dump .*a-folder is a folder; give a file name/],
  ["eval: --dump in a missing folder", ["eval", "--dump", p("missing/dump.jsonl")], 3, /the folder .*missing does not exist/],
  ["eval: a model file over the size limit (issue 21: a V8 string error)", ["eval", "--model", p("huge-model.json")], 3, /huge-model\.json: 64 MB; a model file is at most 64 MB/],
  ["eval: a model file with a key twice (issue 21: the last one won)", ["eval", "--model", p("duplicate-key.json")], 3, /duplicate-key\.json:\d+:\d+: not valid JSON: key "name" appears twice/],
  ["eval: a model file that is not UTF-8 (issue 21: became U+FFFD)", ["eval", "--model", p("not-utf8.json")], 3, /not-utf8\.json:\d+: not UTF-8 text/],
  ["eval: --dump \"\"", ["eval", "--dump", ""], 2, /--dump is empty; give a path/],
  ["eval: a model that is an endless device", ["eval", "--model", "/dev/zero"], 3, /\/dev\/zero is not a file/],
  ["eval: --force without --dump", ["eval", "--force"], 2, /--force only applies with --dump/],
  ["eval: a model name of 5000 characters", ["eval", "--model", p("long-name.json")], 3, /is not a model name/],
  // export
  ["export: a model whose name escapes the project", ["export", "--model", p("escaping-name.json")], 3, /name "\.\.\/\.\.\/\.\.\/\.\.\/tmp\/x\/pwned" is not a model name/],
  ["export: --out naming a folder", ["export", "--model", p("ok.json"), "--out", p("a-folder")], 3, /is a folder; give a file name/],
  ["export: over the default tables with another model", ["export", "--model", p("ok.json"), "--out", join(ROOT, "src", "generated", "models", "default.ts")], 4, /src\/generated holds generated files only bnn regen writes/],
  ["export: over the default tables with another model, --force", ["export", "--model", p("ok.json"), "--out", join(ROOT, "src", "generated", "models", "default.ts"), "--force"], 4, /src\/generated holds generated files only bnn regen writes/],
  ["export: --out in a folder that is a file (issue 21: said it does not exist)", ["export", "--model", p("ok.json"), "--out", p("plain-file/t.ts")], 3, /plain-file is a file, not a folder/],
  ["export: onto a full disk", ["export", "--model", p("ok.json"), "--out", "/dev/full"], 3, /cannot write \/dev\/full: no space left on the device/],
  // codegen
  ...firmwareRows(),
  ["codegen: damaged tables", ["codegen", "--tables", p("tables.ts"), "--out", p("c-out")], 3, /tables.ts: MODEL_NAME is missing or not a string/],
  ["codegen: tables whose counter starts were edited", ["codegen", "--tables", p("edited-starts.ts"), "--out", p("c-out")], 3, /L1_K_EVEN\/ODD_DEC disagree with L1_COLUMNS and L1_THRESHOLDS/],
  ["codegen: tables with a wrong plane count", ["codegen", "--tables", p("wrong-planes.ts"), "--out", p("c-out")], 3, /L2_PLANES is 31, the columns and thresholds need \d+/],
  ["codegen: tables that are a folder", ["codegen", "--tables", p("a-folder")], 3, /is not a file/],
  ["codegen: --out naming a plain file", ["codegen", "--out", p("plain-file")], 3, /is a file, not a folder/],
  ["codegen: over the user's bnn_model.c (issue 21: replaced it)", ["codegen", "--tables", p("own-default.ts"), "--out", p("c-user")], 4, /c-user\/bnn_model\.c exists; pass --force/],
  ["codegen: tables of one's own named default, no --out (issue 21: replaced the committed C)", ["codegen", "--tables", p("own-default.ts")], 2, /own-default\.ts are not the shipped tables of default .*give --out DIR/],
  ["codegen: --out into the committed generated C, --force", ["codegen", "--tables", p("own-default.ts"), "--out", join(ROOT, "firmware-codegen", "generated", "default"), "--force"], 4, /firmware-codegen\/generated holds generated files only bnn regen writes/],
  // verify
  ["verify: an empty backend list", ["verify", "--backends", ",,"], 2, /--backends lists no backend/],
  ["verify: an unknown backend", ["verify", "--backends", "z80"], 2, /unknown backend 'z80'/],
  ["verify: a 20x20-input model", ["verify", "--model", p("small-input.json"), "--backends", "host-gcc"], 3, /takes 20x20 images; verify runs it on the MNIST test set/],
  ["verify: a folder without model.json", ["verify", "--model", p("folder-without-model")], 3, /is a folder without a model.json/],
  // report
  ["report: --svg naming a folder (even with --force)", ["report", "--svg", p("a-folder"), "--force"], 3, /--svg .*a-folder is a folder/],
  ["report: --force without --svg", ["report", "--force"], 2, /--force only applies with --svg/],
  ["report: a 20x20-input model", ["report", "--model", p("small-input.json")], 3, /takes 20x20 images; report runs it/],
  // bench
  ["bench: no subject (issue 21: ran bench train)", ["bench"], 2, /bench needs a subject: bnn bench <.*train/],
  ["bench: an unknown subject", ["bench", "gpu"], 2, /unknown subject 'gpu'/],
  ["bench wasm: a 20x20-input model", ["bench", "wasm", "--model", p("small-input.json")], 3, /takes 20x20 images; bench wasm runs it/],
  ["bench train: --model does not apply", ["bench", "train", "--model", "large"], 2, /--model only applies to bench popcount, c and wasm/],
  // classify
  ["classify: neither --strokes nor --image", ["classify"], 2, /give --strokes FILE or --image FILE/],
  ["classify: a float coordinate names file:line", ["classify", "--strokes", p("float.jsonl")], 3, /float\.jsonl:2: strokes\[0\]\[1\]: x 1\.5 is not an integer/],
  ["classify: an image that is not one", ["classify", "--image", p("plain-file")], 3, /plain-file: not a PNG or a binary PGM \(P5\) image/],
  ["classify: a 20x20-input model", ["classify", "--strokes", p("ok.jsonl"), "--model", p("small-input.json")], 3, /takes 20x20 images; classify feeds it 28x28 digits/],
  ["classify: --svg with --image", ["classify", "--image", p("plain-file"), "--svg", p("c.svg")], 2, /--svg draws the confusion matrix of a stroke file's run; it needs --strokes/],
  ["classify: --force without --svg", ["classify", "--strokes", p("ok.jsonl"), "--force"], 2, /--force only applies with --svg/],
  ["classify: a stroke file with a byte that is not UTF-8 (issue 21: became U+FFFD)", ["classify", "--strokes", p("not-utf8.jsonl")], 3, /not-utf8\.jsonl:1: not UTF-8 text/],
  ["classify: a PGM whose width has 11 digits (issue 21: 'not decimal')", ["classify", "--image", p("huge.pgm")], 3, /huge\.pgm: the PGM's width has 11 digits; images are at most/],
  ["classify: --svg in a missing folder", ["classify", "--strokes", p("ok.jsonl"), "--svg", p("missing/c.svg")], 3, /--svg .*: the folder .*missing does not exist/],
  // import
  ["import: no --out", ["import", "--unipen", p("no-pen-up.tra")], 2, /give --unipen FILE and --out FILE\.jsonl/],
  ["import: --out that is not .jsonl", ["import", "--unipen", p("no-pen-up.tra"), "--out", p("o.json")], 2, /name it \.jsonl/],
  ["import: --box that is not WxH", ["import", "--unipen", p("no-pen-up.tra"), "--out", p("o.jsonl"), "--box", "500"], 2, /--box must be WxH/],
  ["import: a missing .PEN_UP names file:line", ["import", "--unipen", p("no-pen-up.tra"), "--out", p("o.jsonl")], 3, /no-pen-up\.tra:2: \.PEN_DOWN without a \.PEN_UP: the file ends inside a stroke/],
  ["import: a file that is not there", ["import", "--unipen", p("missing.tra"), "--out", p("o.jsonl")], 3, /missing\.tra/],
  // crossval
  ["crossval: fractions adding up to more than 1", ["crossval", "--preset", "tiny", "--pen", "0.6", "--strokes", "0.5"], 2, /add up to more than 1/],
  ["crossval: more folds than writers", ["crossval", "--preset", "tiny", "--folds", "31"], 2, /--folds must be at most 30/],
  ["crossval: --svg in a missing folder", ["crossval", "--preset", "tiny", "--svg", p("missing/c.svg")], 3, /--svg .*: the folder .*missing does not exist/],
  ["crossval: --force without --svg", ["crossval", "--preset", "tiny", "--force"], 2, /--force only applies with --svg/],
  ["train: --pen-validation-writers out of range", ["train", "--preset", "tiny", "--pen", "0.1", "--pen-validation-writers", "30", "--out", p("t")], 2, /--pen-validation-writers must be at most 29/],
  ["sim: --strokes with the camera", ["sim", "--source", "camera", "--strokes", p("ok.jsonl")], 2, /--strokes only applies to --source touch/],
  ["sim: --strokes on a panel that is not the simulated one", ["sim", "--strokes", p("panel-320.jsonl")], 3, /panel-320\.jsonl:1: the sample's panel is 320x240; the simulated panel is 240x240/],
  ["sim: --strokes past the file's samples", ["sim", "--strokes", p("ok.jsonl"), "--first", "1"], 2, /--first 1: .*ok\.jsonl holds 1 samples/],
  // monitor
  ["monitor: neither --port nor --stdin", ["monitor"], 2, /--port is required/],
  ["monitor: both", ["monitor", "--port", "/dev/null", "--stdin"], 2, /either --port or --stdin/],
  ["monitor: /dev/null is no serial device (issue 21: suggested --timeout)", ["monitor", "--port", "/dev/null"], 3, /\/dev\/null: a device that is no terminal, not a serial device \([^)]*\)$/],
  ["monitor: /dev/null with --timeout fails at once", ["monitor", "--port", "/dev/null", "--timeout", "5"], 3, /not a serial device \((?!.*waited)[^)]*\)$/],
  ["monitor: a saved stream as --port", ["monitor", "--port", p("stream.txt")], 3, /a file, not a serial device .*--stdin < /],
  ["monitor: a folder as --port", ["monitor", "--port", work], 3, /a directory, not a serial device/],
  // regen
  ["regen: an unknown option", ["regen", "--all"], 2, /Unknown option '--all'/],
  // the command itself
  ["an unknown command", ["frobnicate"], 2, /unknown command 'frobnicate'/],
];

describe("bad input gets one line, the right exit code, no stack trace, and writes nothing", () => {
  it.each(rows())("%s", async (_label, args, code, message) => {
    const before = snapshot(work);
    const repo = await gitStatus();
    const r = await bnn(args);
    const lines = r.stderr.trim().split("\n");
    expect({ code: r.code, lines: lines.length }).toEqual({ code, lines: 1 });
    expect(lines[0]).toMatch(/^bnn: /);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(snapshot(work)).toEqual(before);
    expect(await gitStatus()).toBe(repo);
  });

  it("the table covers every command", async () => {
    const covered = new Set(rows().map(([, args]) => args[0]));
    const commands = (await allCommands()).map((c) => c.name);
    expect(commands.length).toBeGreaterThan(8);
    for (const c of commands) expect(covered.has(c), `no row for bnn ${c}`).toBe(true);
  });
});
