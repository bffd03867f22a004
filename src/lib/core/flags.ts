/**
 * Command-line flags as declarations: each verb and each pipeline says which flags it takes and
 * of what type, so `lab` refuses a typo (`--event`) instead of silently ignoring it, and refuses a
 * number out of range (`--days -1`) before any work instead of failing deep inside a stage.
 */
export type FlagSpec =
  | {name: string; type: "string"}
  | {name: string; type: "boolean"}
  | {
      name: string;
      type: "number";
      /** A whole number (counts, ports, seeds). */
      integer?: boolean;
      /** Smallest allowed value (inclusive). */
      min?: number;
      /** Largest allowed value (inclusive). */
      max?: number;
      /** Values must be above this (exclusive): durations and rates are `above: 0`. */
      above?: number;
    };

/** Flags every verb takes. */
export const HELP_FLAG: FlagSpec = {name: "help", type: "boolean"};

/** A mistake in how a command was called: printed with the verb's help, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Shorthands for declarations that read as one line each. */
export const flag = {
  string: (name: string): FlagSpec => ({name, type: "string"}),
  boolean: (name: string): FlagSpec => ({name, type: "boolean"}),
  /** A whole number of at least `min` (default 1): counts such as --meters, --days, --workers. */
  count: (name: string, {min = 1, max}: {min?: number; max?: number} = {}): FlagSpec => ({
    name,
    type: "number",
    integer: true,
    min,
    ...(max === undefined ? {} : {max})
  }),
  /** A number above zero: durations and rates such as --minutes, --rate, --speed. */
  positive: (name: string, {max}: {max?: number} = {}): FlagSpec => ({
    name,
    type: "number",
    above: 0,
    ...(max === undefined ? {} : {max})
  }),
  /** A number within [min, max]: shares such as --drop-rate (0–1). */
  range: (name: string, min: number, max?: number): FlagSpec => ({
    name,
    type: "number",
    min,
    ...(max === undefined ? {} : {max})
  }),
  /** Any whole number: seeds. */
  integer: (name: string): FlagSpec => ({name, type: "number", integer: true}),
  /** A TCP port: 0 (any free port) to 65535. */
  port: (name = "port"): FlagSpec => ({name, type: "number", integer: true, min: 0, max: 65535})
};

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The declared name closest to `name`, when it is at most two edits away. */
export function closestFlag(name: string, specs: readonly FlagSpec[]): string | undefined {
  let best: {name: string; distance: number} | undefined;
  for (const spec of specs) {
    const distance = editDistance(name, spec.name);
    if (distance <= 2 && (!best || distance < best.distance)) best = {name: spec.name, distance};
  }
  return best?.name;
}

function describeBounds(spec: Extract<FlagSpec, {type: "number"}>): string {
  const parts: string[] = [];
  if (spec.integer) parts.push("a whole number");
  else parts.push("a number");
  if (spec.above !== undefined) parts.push(`above ${spec.above}`);
  if (spec.min !== undefined && spec.max !== undefined) parts.push(`from ${spec.min} to ${spec.max}`);
  else if (spec.min !== undefined) parts.push(`of at least ${spec.min}`);
  else if (spec.max !== undefined) parts.push(`of at most ${spec.max}`);
  return parts.join(" ");
}

/** Checks one value against its declaration; returns the problem in words, or undefined. */
function problemWith(spec: FlagSpec, value: string | boolean): string | undefined {
  if (spec.type === "boolean")
    return value === true || value === "true" || value === "false"
      ? undefined
      : `--${spec.name} takes no value (got "${String(value)}")`;
  if (typeof value === "boolean") return `--${spec.name} needs a value`;
  if (spec.type === "string") return undefined;
  const n = value.trim() === "" ? NaN : Number(value);
  const ok =
    Number.isFinite(n) &&
    (!spec.integer || Number.isInteger(n)) &&
    (spec.above === undefined || n > spec.above) &&
    (spec.min === undefined || n >= spec.min) &&
    (spec.max === undefined || n <= spec.max);
  return ok ? undefined : `--${spec.name} must be ${describeBounds(spec)}, got "${value}"`;
}

/**
 * Refuses any flag not declared in `specs` (suggesting the closest declared one), and any value
 * of the wrong type or out of its bounds, with a UsageError naming the flag. Returns the flags with
 * `--flag=true` as true and `--flag=false` left out, so a boolean is simply present or absent.
 */
export function checkFlags({
  flags,
  specs
}: {
  flags: Record<string, string | boolean>;
  specs: readonly FlagSpec[];
}): Record<string, string | boolean> {
  const checked: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(flags)) {
    const spec = specs.find((s) => s.name === name);
    if (!spec) {
      const near = closestFlag(name, specs);
      throw new UsageError(`unknown flag --${name}${near ? `; did you mean --${near}?` : ""}`);
    }
    const problem = problemWith(spec, value);
    if (problem) throw new UsageError(problem);
    if (spec.type !== "boolean") checked[name] = value;
    else if (value !== "false") checked[name] = true;
  }
  return checked;
}

/** The names of the boolean flags: they never take the next word as their value. */
export function booleanFlags(specs: readonly FlagSpec[]): Set<string> {
  return new Set(specs.filter((s) => s.type === "boolean").map((s) => s.name));
}
