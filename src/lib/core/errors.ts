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

/**
 * A file that is bad as a whole (no good row, or more than half its rows set aside) although the
 * rows it did yield are good: the job fails with this reason, and the good rows and the quarantine
 * it published stay published (a tolerant ingest loses no good data). `lab run` exits non-zero.
 */
export class RejectedInput extends LabError {
  readonly rejectedInput = true;
}

export function isRejectedInput(error: unknown): error is RejectedInput {
  return error instanceof Error && (error as Partial<RejectedInput>).rejectedInput === true;
}

/**
 * The rule for a tolerant reader's file: it fails (RejectedInput) when it yields no good row or
 * sets aside more than half of them, naming the first reasons. Call it after publishing.
 */
export function rejectMostlyBadFile({
  file,
  kept,
  quarantined,
  firstReasons
}: {
  file: string;
  kept: number;
  quarantined: number;
  /** The first few quarantine reasons, each already saying where (`line 12, column ts: …`). */
  firstReasons: string[];
}): void {
  const total = kept + quarantined;
  if (kept > 0 && quarantined * 2 <= total) return;
  const why = firstReasons.slice(0, 3).join("; ");
  throw new RejectedInput({
    file,
    reason:
      kept === 0
        ? `no good row${total ? ` (${quarantined} set aside${why ? `: ${why}` : ""})` : " (the file holds no rows)"}`
        : `${quarantined} of ${total} rows set aside, more than half${why ? `: ${why}` : ""}`,
    hint: "the good rows are kept; the quarantine table lists every row set aside with its reason"
  });
}
