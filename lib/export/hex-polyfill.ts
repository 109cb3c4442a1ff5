/**
 * DeviceScript's `hex` template tag for Node: lets Node import the generated weight tables
 * (src/generated/models/*.ts). Whitespace is ignored; anything else that is not a hex digit pair is an error.
 */
declare global {
  var hex: (strings: TemplateStringsArray, ...values: unknown[]) => Uint8Array;
}

globalThis.hex ??= (strings: TemplateStringsArray, ...values: unknown[]): Uint8Array => {
  if (values.length) throw new Error("hex`...` takes no substitutions");
  const text = strings.raw.join("").replace(/\s+/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new Error("hex`...` holds something that is not hex byte pairs");
  return Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));
};

export {};
