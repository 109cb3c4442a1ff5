/**
 * The drawing page: lib/draw/page.html (one self-contained file: inline style and script,
 * nothing loaded from anywhere) with this session's settings in place of its CONFIG literal.
 */
import { readFileSync } from "node:fs";

export interface PageConfig {
  /** The simulated panel's size: the canvas is in its coordinates. */
  width: number;
  height: number;
  /** Pen-up time after which the page sends the digit (the program's digit timeout). */
  penUpMs: number;
  /** The --save file as the user named it. */
  save: string;
}

export const PAGE_FILE = new URL("./page.html", import.meta.url);

export function drawPage(config: PageConfig): string {
  const html = readFileSync(PAGE_FILE, "utf8");
  const at = /\/\*CONFIG\*\/[^;\n]*;/;
  if (!at.test(html)) throw new Error("page.html has no CONFIG literal");
  // JSON in a script: "<" escaped, so no value can close the script element
  const literal = JSON.stringify(config).replace(/</g, "\\u003c");
  return html.replace(at, () => `${literal};`);
}
