/**
 * Where a command writes: the one output guard every writing command goes through. Checked
 * before the work starts, so a bad path costs nothing (a model is not trained only to be lost),
 * and nothing the user has is overwritten without --force:
 *
 * - a path is never empty (`--out ""` would mean the current folder);
 * - a file's folder exists and is writable; a file target is not a folder, a folder target not
 *   a file;
 * - an existing file (or, for a folder, any file of the ones the command writes into it) needs
 *   `force`, or `mayReplace` saying it is this command's own earlier output for the same thing;
 * - the project's committed generated folders (src/generated/, firmware-codegen/generated/) are
 *   written by `bnn regen` from the shipped models: another command may write there only exactly
 *   what regen would (`regenTarget`: the path regen writes the same output to), --force or not;
 *   there, the output replaces regen's files like regen does.
 *
 * Writing goes through here too: a write that fails (a full disk) is one line, not a stack trace.
 * Folders are created one level at a time, never with a recursive mkdir: Node 20's recursive
 * mkdirSync does not return for some paths (under /proc), a plain one fails at once.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ExitCode, systemReason, UserError } from "./errors.ts";
import { displayPath, GENERATED_C_DIR, GENERATED_TS_DIR } from "./paths.ts";

const show = displayPath;

/** Folders whose files only `bnn regen` writes, from the shipped models. */
export const GENERATED_FOLDERS = [GENERATED_TS_DIR, GENERATED_C_DIR];

export interface OutputOptions {
  force?: boolean;
  /** True when the existing file at this path is this command's own output for the same input. */
  mayReplace?: (path: string) => boolean;
  /** Where `bnn regen` writes this very output (the input is a shipped model), if it does. */
  regenTarget?: string;
}

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

function inside(path: string, folder: string): boolean {
  const r = relative(folder, path);
  return r !== ".." && !r.startsWith(`..${sep}`) && !isAbsolute(r);
}

/**
 * The absolute path of `path`, refused when empty or inside a generated folder where regen does
 * not put this output; `regenOwned`: the path is regen's own for this output (it may be replaced).
 */
function target(path: string, what: string, regenTarget: string | undefined): { abs: string; regenOwned: boolean } {
  if (path.trim() === "") throw new UserError(`${what} is empty; give a path`, ExitCode.Usage);
  const abs = resolve(path);
  const regenOwned = regenTarget !== undefined && resolve(regenTarget) === abs;
  const folder = GENERATED_FOLDERS.find((f) => inside(abs, f));
  if (folder && !regenOwned) {
    throw new UserError(
      `${what} ${show(abs)}: ${show(folder)} holds generated files only bnn regen writes (from the shipped models); write elsewhere`,
      ExitCode.WouldOverwrite,
    );
  }
  return { abs, regenOwned };
}

/** The folder `dir` that `abs` goes into exists, is a folder and is writable. */
function existingFolder(dir: string, abs: string, what: string): void {
  if (!existsSync(dir)) throw new UserError(`${what} ${show(abs)}: the folder ${show(dir)} does not exist`);
  if (!isDir(dir)) throw new UserError(`${what} ${show(abs)}: ${show(dir)} is a file, not a folder`);
  if (!writable(dir)) throw new UserError(`${what} ${show(abs)}: the folder ${show(dir)} is not writable`);
}

/** An existing regular file needs --force; a device or a pipe (/dev/stdout, a FIFO) holds nothing to lose. */
function refuseExisting(abs: string, opts: OutputOptions, regenOwned: boolean): void {
  if (existsSync(abs) && statSync(abs).isFile() && !opts.force && !regenOwned && !opts.mayReplace?.(abs))
    throw new UserError(`${show(abs)} exists; pass --force to overwrite it`, ExitCode.WouldOverwrite);
}

/**
 * A file the command will write: its folder must exist and be writable, the path must not be a
 * folder, and an existing file needs `force` (or `mayReplace`). `append`: the command only adds
 * to an existing file (never rewrites it), so an existing file is fine. Returns the absolute path.
 */
export function outputFile(path: string, what: string, opts: OutputOptions & { append?: boolean } = {}): string {
  const { abs, regenOwned } = target(path, what, opts.regenTarget);
  if (isDir(abs)) throw new UserError(`${what} ${show(abs)} is a folder; give a file name`);
  existingFolder(dirname(abs), abs, what);
  if (opts.append) {
    if (existsSync(abs) && !writable(abs)) throw new UserError(`${what} ${show(abs)} is not writable`);
  } else refuseExisting(abs, opts, regenOwned);
  return abs;
}

/**
 * A folder the command will write `files` into: each existing one of them needs `force` (or
 * `mayReplace`); the folder is created now if missing (its parent must exist) and must not be a
 * file. Returns the absolute path.
 */
export function outputFolder(path: string, what: string, files: readonly string[], opts: OutputOptions = {}): string {
  const { abs, regenOwned } = target(path, what, opts.regenTarget);
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) throw new UserError(`${what} ${show(abs)} is a file, not a folder`);
    if (!writable(abs)) throw new UserError(`${what} ${show(abs)} is not writable`);
    for (const f of files) refuseExisting(join(abs, f), opts, regenOwned);
    return abs;
  }
  existingFolder(dirname(abs), abs, what);
  try {
    mkdirSync(abs);
  } catch (e) {
    throw new UserError(`${what} ${show(abs)}: cannot create it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return abs;
}

/** Writes a checked output file; a failed write (a full disk) is one line, exit 3. */
export function writeOutput(abs: string, data: string | Uint8Array): void {
  try {
    writeFileSync(abs, data);
  } catch (e) {
    throw new UserError(`cannot write ${show(abs)}: ${systemReason(e)}`);
  }
}
