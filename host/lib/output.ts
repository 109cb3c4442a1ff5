/**
 * Where a command writes: checked before the work starts, so a bad path costs nothing (a model
 * is not trained only to be lost) and nothing the user has is overwritten without --force.
 * Folders are created one level at a time, never with a recursive mkdir: Node 20's recursive
 * mkdirSync does not return for some paths (under /proc), a plain one fails at once.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ExitCode, UserError } from "./errors.ts";
import { displayPath } from "./paths.ts";

const show = displayPath;

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A file the command will write: its folder must exist and be writable, the path must not be a
 * folder, and an existing file needs `force` (or `mayReplace` saying it is ours to replace).
 * Returns the absolute path.
 */
export function outputFile(path: string, what: string, opts: { force?: boolean; mayReplace?: (path: string) => boolean } = {}): string {
  const abs = resolve(path);
  if (isDir(abs)) throw new UserError(`${what} ${show(abs)} is a folder; give a file name`);
  const dir = dirname(abs);
  if (!isDir(dir)) throw new UserError(`${what} ${show(abs)}: the folder ${show(dir)} does not exist`);
  if (!writable(dir)) throw new UserError(`${what} ${show(abs)}: the folder ${show(dir)} is not writable`);
  if (existsSync(abs) && !opts.force && !opts.mayReplace?.(abs)) throw new UserError(`${show(abs)} exists; pass --force to overwrite it`, ExitCode.WouldOverwrite);
  return abs;
}

/**
 * A folder the command will write into: created now if missing (its parent must exist), must not
 * be a file. Returns the absolute path.
 */
export function outputFolder(path: string, what: string): string {
  const abs = resolve(path);
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) throw new UserError(`${what} ${show(abs)} is a file, not a folder`);
    if (!writable(abs)) throw new UserError(`${what} ${show(abs)} is not writable`);
    return abs;
  }
  const parent = dirname(abs);
  if (!isDir(parent)) throw new UserError(`${what} ${show(abs)}: the folder ${show(parent)} does not exist`);
  try {
    mkdirSync(abs);
  } catch (e) {
    throw new UserError(`${what} ${show(abs)}: cannot create it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return abs;
}
