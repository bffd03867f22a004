export interface LabErrorOptions {
  /** What is wrong, in words a user can act on. */
  reason: string;
  file?: string;
  line?: number;
  /** A 1-based column number or a column name. */
  column?: number | string;
  /** How to fix it. */
  hint?: string;
  cause?: unknown;
}

/**
 * An error that says what went wrong and where: `datasets/x.csv:12:4: ragged row: expected 8
 * fields, found 7 (hint: …)`. Every bad-input error in the lab is one of these.
 */
export class LabError extends Error {
  readonly reason: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number | string;
  readonly hint?: string;

  constructor({reason, file, line, column, hint, cause}: LabErrorOptions) {
    const where = [file, line, column].filter((part) => part !== undefined && part !== "").join(":");
    super(
      `${where ? `${where}: ` : ""}${reason}${hint ? ` (hint: ${hint})` : ""}`,
      cause === undefined ? undefined : {cause}
    );
    this.name = "LabError";
    this.reason = reason;
    this.file = file;
    this.line = line;
    this.column = column;
    this.hint = hint;
  }
}

export function isLabError(error: unknown): error is LabError {
  return error instanceof LabError || (error instanceof Error && error.name === "LabError");
}
