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
