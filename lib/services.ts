/**
 * The custom Jacdac services (services/*.md), parsed in Node by the same spec tool `devs build`
 * uses (jacdac-ts's parseServiceSpecificationMarkdownToJSON, the standard services as includes).
 * The specs are the one source of every service constant: `devs build` turns them into the
 * DeviceScript program's `ds.<Service>` clients and `ds.<Service>Codes` enums, and Node code
 * (simulated devices, tests) takes its codes from here. Parsing the markdown in-process, rather
 * than reading `.devicescript/services.json`, keeps Node independent of a file that every
 * `devs build` / `devs run` rewrites in place (a concurrent reader could see it half written).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadServiceSpecifications, parseServiceSpecificationMarkdownToJSON, serviceSpecifications } from "jacdac-ts";
import { ROOT } from "./paths.ts";

export const SERVICES_DIR = join(ROOT, "services");

let cache: jdspec.ServiceSpec[] | undefined;

/** Every custom service spec in services/, parsed (cached); throws on a spec error. */
export function customServiceSpecs(): jdspec.ServiceSpec[] {
  if (cache) return cache;
  const includes: jdspec.SMap<jdspec.ServiceSpec> = {};
  for (const s of serviceSpecifications()) includes[s.shortId] = s;
  const specs: jdspec.ServiceSpec[] = [];
  for (const file of readdirSync(SERVICES_DIR)
    .filter((f) => /\.md$/i.test(f) && !/README\.md$/i.test(f))
    .sort()) {
    const path = join(SERVICES_DIR, file);
    const spec = parseServiceSpecificationMarkdownToJSON(readFileSync(path, "utf8"), includes, path);
    if (spec.errors?.length) throw new Error(`${path}: ${spec.errors.map((e) => `line ${e.line}: ${e.message}`).join("; ")}`);
    includes[spec.shortId] = spec;
    specs.push(spec);
  }
  loadServiceSpecifications(specs);
  cache = specs;
  return specs;
}

/** The spec of custom service `shortId` (e.g. "bnnclassifier"). */
export function serviceSpec(shortId: string): jdspec.ServiceSpec {
  const spec = customServiceSpecs().find((s) => s.shortId === shortId);
  if (!spec) throw new Error(`services/${shortId}.md: no such service`);
  return spec;
}

type Kind = "command" | "report" | "register";

/** The identifier of packet `name` of a service: a command/report code or a register address. */
export function packetCode(spec: jdspec.ServiceSpec, kind: Kind, name: string): number {
  const pkt = spec.packets.find((p) => p.name === name && (kind === "register" ? p.kind === "rw" || p.kind === "ro" || p.kind === "const" : p.kind === kind));
  if (!pkt) throw new Error(`services/${spec.shortId}.md has no ${kind} '${name}'`);
  return pkt.identifier;
}

/** The value of enum member `member` of a service's enum `name`. */
export function enumValue(spec: jdspec.ServiceSpec, name: string, member: string): number {
  const value = spec.enums[name]?.members[member];
  if (value === undefined) throw new Error(`services/${spec.shortId}.md has no enum ${name}.${member}`);
  return value;
}

const classifier = serviceSpec("bnnclassifier");
const camera = serviceSpec("digitcamera");
const touch = serviceSpec("digittouch");

/** services/bnnclassifier.md */
export const CLASSIFIER = {
  spec: classifier,
  serviceClass: classifier.classIdentifier,
  cmdClassify: packetCode(classifier, "command", "classify"),
  cmdLoad: packetCode(classifier, "command", "load"),
  cmdClassifyStrokes: packetCode(classifier, "command", "classify_strokes"),
  cmdClassifyFrame: packetCode(classifier, "command", "classify_frame"),
  cmdWatchFrame: packetCode(classifier, "command", "watch_frame"),
  /** Every command of the service. */
  commands: classifier.packets.filter((p) => p.kind === "command").map((p) => p.identifier),
  regUploadCapacity: packetCode(classifier, "register", "upload_capacity"),
  regModelId: packetCode(classifier, "register", "model_id"),
  statusOk: enumValue(classifier, "Status", "Ok"),
  statusBadLength: enumValue(classifier, "Status", "BadLength"),
  statusModelMismatch: enumValue(classifier, "Status", "ModelMismatch"),
  statusBadUpload: enumValue(classifier, "Status", "BadUpload"),
  statusNoDigit: enumValue(classifier, "Status", "NoDigit"),
} as const;

/** services/digitcamera.md */
export const CAMERA = {
  spec: camera,
  serviceClass: camera.classIdentifier,
  cmdCapture: packetCode(camera, "command", "capture"),
  reportFrameChunk: packetCode(camera, "report", "frame_chunk"),
  regWidth: packetCode(camera, "register", "width"),
  regHeight: packetCode(camera, "register", "height"),
  regFrameCount: packetCode(camera, "register", "frame_count"),
  regStoredFrames: packetCode(camera, "register", "stored_frames"),
} as const;

/** services/digittouch.md */
export const TOUCH = {
  spec: touch,
  serviceClass: touch.classIdentifier,
  reportSamples: packetCode(touch, "report", "samples"),
  regWidth: packetCode(touch, "register", "width"),
  regHeight: packetCode(touch, "register", "height"),
  regSamplePeriod: packetCode(touch, "register", "sample_period"),
} as const;
