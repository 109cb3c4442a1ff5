/**
 * Errors a user can act on. The CLI prints `bnn: <message>` on one line and exits with
 * `exitCode`; anything else that escapes is a bug and is reported as such.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.BadInput,
  ) {
    super(message);
    this.name = "UserError";
  }
}

export const ExitCode = {
  Ok: 0,
  /** Wrong usage, bad option values, unknown names. */
  Usage: 2,
  /** Input files that are missing, truncated or corrupt. */
  BadInput: 3,
  /** Refused to overwrite something the user has. */
  WouldOverwrite: 4,
  /** A check (verification, staleness) found a difference. */
  Mismatch: 5,
  /** Internal error: a bug. */
  Internal: 70,
} as const;

/** System errors that mean "this path cannot be used", not a bug. */
const PATH_ERRORS: Record<string, string> = {
  ENOENT: "no such file or folder",
  EISDIR: "is a folder",
  ENOTDIR: "a part of the path is not a folder",
  EACCES: "permission denied",
  EPERM: "not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EEXIST: "already exists",
  ENAMETOOLONG: "name too long",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EIO: "input/output error",
  EPIPE: "the reader closed the pipe",
};

/** What a system error code means, in words (the code itself when it is not one of ours). */
export function systemReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return (code && PATH_ERRORS[code]) ?? code ?? String((e as Error)?.message ?? e);
}

/**
 * The one place a thrown error becomes what the user sees: a UserError as it is; a system error
 * about a path (a file that cannot be read or written) as a one-line bad-input error; anything
 * else is left as it is (a bug).
 */
export function asUserError(e: unknown): UserError | undefined {
  if (e instanceof UserError) return e;
  const err = e as NodeJS.ErrnoException | undefined;
  if (err && typeof err.code === "string" && err.code in PATH_ERRORS && typeof err.path === "string") {
    return new UserError(`cannot ${err.syscall ?? "use"} ${err.path}: ${PATH_ERRORS[err.code]}`);
  }
  return undefined;
}
