/**
 * The upstream device-config schema, the part a board file uses, transcribed from
 * devicescript-pico boards/rp2040deviceconfig.schema.json (draft-07; the ESP32 one has the same
 * DeviceConfig part), plus the fields the CLI adds or reads ($description, $services, id), and a
 * validator of the draft-07 subset it needs (tests/boards.test.ts).
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: Json[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}

const comment: Schema = { type: "string" }; // "All fields starting with '#' are ignored"
const pin: Schema = { type: "integer", minimum: 0, maximum: 63 };
const hexInt: Schema = { type: ["string", "integer"] };
const service: Schema = {
  type: "object",
  required: ["service", "name"],
  properties: { "#": comment, service: { type: "string" }, name: { type: "string" }, variant: { type: "integer" } },
  additionalProperties: true,
};
export const DEVICE_CONFIG_SCHEMA: Schema = {
  type: "object",
  required: ["devName", "productId"],
  additionalProperties: false,
  properties: {
    "#": comment,
    $schema: { type: "string" },
    $description: { type: "string" },
    $services: { type: "array", items: service },
    id: { type: "string", pattern: "^\\w+$" },
    archId: { type: "string" },
    devName: { type: "string" },
    productId: hexInt,
    url: { type: "string" },
    noScanI2C: { type: "boolean" },
    services: { type: "array", items: service },
    sPin: { type: "object", additionalProperties: { enum: [0, 1] }, properties: { "#": comment } },
    pins: { type: "object", additionalProperties: pin, properties: { "#": comment } },
    jacdac: {
      type: "object",
      required: ["pin"],
      additionalProperties: false,
      properties: { "#": comment, $connector: { type: "string", enum: ["Header", "Jacdac"] }, pin },
    },
    i2c: {
      type: "object",
      required: ["pinSCL", "pinSDA"],
      additionalProperties: false,
      properties: {
        "#": comment,
        $connector: { type: "string", enum: ["Grove", "Header", "Qwiic"] },
        inst: { type: "integer" },
        kHz: { type: "integer" },
        pinSCL: pin,
        pinSDA: pin,
      },
    },
    log: { type: "object", required: ["pinTX"], additionalProperties: false, properties: { "#": comment, baud: { type: "integer" }, pinTX: pin } },
    led: {
      type: "object",
      additionalProperties: false,
      properties: {
        "#": comment,
        activeHigh: { type: "boolean" },
        isMono: { type: "boolean" },
        pin,
        pinCLK: pin,
        type: { type: "integer" },
        rgb: {
          type: "array",
          minItems: 3,
          maxItems: 3,
          items: {
            type: "object",
            required: ["pin"],
            additionalProperties: false,
            properties: { "#": comment, pin, mult: { type: "integer", minimum: 0, maximum: 255 } },
          },
        },
      },
    },
  },
};

function typeOf(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** A draft-07 subset: type, properties, required, additionalProperties, items, enum, pattern, bounds. */
export function validate(v: Json, s: Schema, path = "$"): string[] {
  const errors: string[] = [];
  const t = typeOf(v);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.includes(t)) return [`${path}: ${t}, expected ${types.join(" or ")}`];
  }
  if (s.enum && !s.enum.includes(v)) errors.push(`${path}: ${JSON.stringify(v)} not one of ${JSON.stringify(s.enum)}`);
  if (typeof v === "string" && s.pattern && !new RegExp(s.pattern).test(v)) errors.push(`${path}: "${v}" does not match ${s.pattern}`);
  if (typeof v === "number") {
    if (s.minimum !== undefined && v < s.minimum) errors.push(`${path}: ${v} < ${s.minimum}`);
    if (s.maximum !== undefined && v > s.maximum) errors.push(`${path}: ${v} > ${s.maximum}`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) errors.push(`${path}: fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && v.length > s.maxItems) errors.push(`${path}: more than ${s.maxItems} items`);
    if (s.items) v.forEach((e, i) => errors.push(...validate(e, s.items!, `${path}[${i}]`)));
  }
  if (t === "object") {
    const o = v as { [k: string]: Json };
    for (const r of s.required ?? []) if (!(r in o)) errors.push(`${path}: missing required "${r}"`);
    for (const [k, val] of Object.entries(o)) {
      const sub = s.properties?.[k];
      if (sub) errors.push(...validate(val, sub, `${path}.${k}`));
      else if (s.additionalProperties === false) errors.push(`${path}: unknown property "${k}"`);
      else if (typeof s.additionalProperties === "object") errors.push(...validate(val, s.additionalProperties, `${path}.${k}`));
    }
  }
  return errors;
}
