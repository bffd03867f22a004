/**
 * The dataset convention: `datasets/<pipeline>/<dataset>/` is one dataset, every file under it
 * belongs to it, and an optional `dataset.json` in it holds the dataset's options. Files loose in
 * `datasets/<pipeline>/` form the dataset `default`; files outside any pipeline's folder belong to
 * the dataset named after their top folder (`samples/air.csv` → `samples`). A dataset whose files
 * are all simulation specs (`*.sim.json`) is a simulation; any other is real data.
 */
import {existsSync, readdirSync, statSync} from "node:fs";
import {basename, join, relative, resolve, sep} from "node:path";
import {LabError} from "./errors.js";
import {readTextFile} from "./text-file.js";

/** The name of the options file in a dataset folder. */
export const DATASET_OPTIONS_FILE = "dataset.json";
/** The dataset files loose in a pipeline's folder belong to. */
export const DEFAULT_DATASET = "default";

/** Which dataset a file belongs to, and that dataset's options. */
export interface DatasetInfo {
  /** The pipeline whose folder holds it (`kpi`), or undefined outside any pipeline's folder. */
  pipeline?: string;
  /** The dataset's name: its folder's name (`default` for files loose in a pipeline's folder). */
  name: string;
  /** The dataset.json's parsed content; an empty object when the dataset has none. */
  options: Record<string, unknown>;
  /** Where its dataset.json is (or would be), for error messages: relative to the source root or cwd. */
  optionsFile: string;
}

/** A file's dataset from its path relative to the source root (`kpi/shop/2024/jan.csv` → kpi/shop). */
export function datasetOf({relPath, pipelines}: {relPath: string; pipelines: readonly string[]}): {
  pipeline?: string;
  name: string;
  /** The dataset's folder relative to the source root (where its dataset.json lives). */
  folder: string;
} {
  const parts = relPath.split("/");
  const [top, second] = parts;
  if (top !== undefined && pipelines.includes(top)) {
    if (parts.length <= 2) return {pipeline: top, name: DEFAULT_DATASET, folder: top};
    return {pipeline: top, name: second!, folder: `${top}/${second}`};
  }
  if (parts.length <= 1) return {name: DEFAULT_DATASET, folder: ""};
  return {name: top!, folder: top!};
}

/** Whether a path (relative to the source root) is a dataset's options file rather than data. */
export function isDatasetOptionsFile(relPath: string): boolean {
  return relPath === DATASET_OPTIONS_FILE || relPath.endsWith(`/${DATASET_OPTIONS_FILE}`);
}

/** Parses a dataset.json's text: one JSON object, or a LabError naming the file, line and column. */
export function parseDatasetOptions({text, file}: {text: string; file: string}): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Node names the offending offset; "Unexpected end of JSON input" means the end of the text.
    const at = /position (\d+)/.exec((error as Error).message);
    const offset = at ? Number(at[1]) : text.length;
    const before = text.slice(0, offset);
    throw new LabError({
      file,
      line: before.split("\n").length,
      column: offset - before.lastIndexOf("\n"),
      reason: `not valid JSON: ${(error as Error).message}`,
      hint: 'dataset.json holds one JSON object of options, e.g. {"timezone": "Asia/Kolkata"}'
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new LabError({file, reason: "dataset.json must hold one JSON object of options", hint: "e.g. {}"});
  return value as Record<string, unknown>;
}

/**
 * A dataset folder given on the command line (`lab run kpi --dataset DIR`): its files (sorted,
 * hidden names and dataset.json left out) and its options.
 */
export function readDatasetFolder({dir, pipeline}: {dir: string; pipeline?: string}): {
  dataset: DatasetInfo;
  files: string[];
} {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new LabError({file: dir, reason: "not a dataset folder (no such directory)"});
  const optionsPath = join(root, DATASET_OPTIONS_FILE);
  const optionsFile = relative(process.cwd(), optionsPath) || optionsPath;
  const options = existsSync(optionsPath)
    ? parseDatasetOptions({text: readTextFile({path: optionsPath}), file: optionsFile})
    : {};
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, {withFileTypes: true})) {
      if (entry.name.startsWith(".") || entry.name.endsWith("~")) continue;
      const abs = join(folder, entry.name);
      if (entry.isDirectory()) walk(abs);
      else if (entry.isFile() && abs !== optionsPath) files.push(abs);
    }
  };
  walk(root);
  files.sort((a, b) => relative(root, a).split(sep).join("/").localeCompare(relative(root, b).split(sep).join("/")));
  return {dataset: {pipeline, name: basename(root), options, optionsFile}, files};
}

/** A dataset for inputs given file by file on the command line: no options, named `default`. */
export function commandLineDataset(pipeline: string): DatasetInfo {
  return {pipeline, name: DEFAULT_DATASET, options: {}, optionsFile: DATASET_OPTIONS_FILE};
}

/** What one option may hold; `describe` lines feed the docs test (every key documented). */
interface OptionBase {
  /** One line for the docs: what the option does. */
  describe?: string;
}

/**
 * Reads a dataset's options key by key with types and bounds, then refuses any key it was not
 * asked for. Every error names the dataset.json and the key:
 *
 *   const o = new OptionReader(dataset);
 *   const timezone = o.string("timezone", {default: "UTC"});
 *   o.finish(); // "datasets/kpi/shop/dataset.json:timezon: unknown option (known: timezone, …)"
 */
export class OptionReader {
  /** Every key read so far, in order (the docs test checks each is documented). */
  readonly keys: string[] = [];
  private readonly options: Record<string, unknown>;
  private readonly file: string;

  constructor({options, optionsFile}: Pick<DatasetInfo, "options" | "optionsFile">) {
    this.options = options;
    this.file = optionsFile;
  }

  private fail(key: string, reason: string, hint?: string): never {
    throw new LabError({file: this.file, column: key, reason, hint});
  }

  private take(key: string): unknown {
    this.keys.push(key);
    return this.options[key];
  }

  has(key: string): boolean {
    return this.options[key] !== undefined;
  }

  string<T extends string = string>(key: string, spec: OptionBase & {default: T; oneOf?: readonly T[]}): T;
  string<T extends string = string>(key: string, spec: OptionBase & {oneOf?: readonly T[]}): T | undefined;
  string<T extends string>(key: string, spec: OptionBase & {default?: T; oneOf?: readonly T[]}): T | undefined {
    const value = this.take(key);
    if (value === undefined || value === null) return spec.default;
    if (typeof value !== "string") this.fail(key, `expected a string, found ${JSON.stringify(value)}`);
    if (spec.oneOf && !spec.oneOf.includes(value as T))
      this.fail(key, `"${value}" is not one of ${spec.oneOf.map((v) => `"${v}"`).join(", ")}`);
    return value as T;
  }

  number(key: string, spec: OptionBase & {default: number; min?: number; max?: number; integer?: boolean}): number;
  number(key: string, spec: OptionBase & {min?: number; max?: number; integer?: boolean}): number | undefined;
  number(
    key: string,
    spec: OptionBase & {default?: number; min?: number; max?: number; integer?: boolean}
  ): number | undefined {
    const value = this.take(key);
    if (value === undefined || value === null) return spec.default;
    if (typeof value !== "number" || !Number.isFinite(value))
      this.fail(key, `expected a number, found ${JSON.stringify(value)}`);
    if (spec.integer && !Number.isInteger(value)) this.fail(key, `expected a whole number, found ${value}`);
    if (spec.min !== undefined && value < spec.min) this.fail(key, `${value} is below the minimum ${spec.min}`);
    if (spec.max !== undefined && value > spec.max) this.fail(key, `${value} is above the maximum ${spec.max}`);
    return value;
  }

  boolean(key: string, spec: OptionBase & {default: boolean}): boolean {
    const value = this.take(key);
    if (value === undefined || value === null) return spec.default;
    if (typeof value !== "boolean") this.fail(key, `expected true or false, found ${JSON.stringify(value)}`);
    return value;
  }

  stringList(key: string, spec: OptionBase & {default: string[]}): string[] {
    const value = this.take(key);
    if (value === undefined || value === null) return spec.default;
    if (typeof value === "string") return [value];
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string"))
      this.fail(key, `expected a string or a list of strings, found ${JSON.stringify(value)}`);
    return value as string[];
  }

  /** An object of string values (a column mapping: `{"time": "DateTime"}`). */
  stringMap(key: string, spec: OptionBase & {allowedKeys?: readonly string[]}): Record<string, string> {
    const value = this.take(key);
    if (value === undefined || value === null) return {};
    if (typeof value !== "object" || Array.isArray(value))
      this.fail(key, `expected an object of names, found ${JSON.stringify(value)}`);
    for (const [k, v] of Object.entries(value as object)) {
      if (typeof v !== "string") this.fail(`${key}.${k}`, `expected a string, found ${JSON.stringify(v)}`);
      if (spec.allowedKeys && !spec.allowedKeys.includes(k))
        this.fail(`${key}.${k}`, `unknown key`, `known: ${spec.allowedKeys.join(", ")}`);
    }
    return value as Record<string, string>;
  }

  /** Any JSON value, for options with a shape of their own (the caller checks it, naming `key`). */
  raw(key: string): unknown {
    return this.take(key);
  }

  /** A LabError about `key` (for checks the caller makes on a raw value). */
  error(key: string, reason: string, hint?: string): LabError {
    return new LabError({file: this.file, column: key, reason, hint});
  }

  /** Refuses every key that was not read: a typo must not pass as "option left at its default". */
  finish(): void {
    for (const key of Object.keys(this.options))
      if (!this.keys.includes(key)) throw new UnknownOption({file: this.file, key, known: this.keys});
  }
}

/** A dataset.json key no option reads; `known` lists the keys that are (the docs test reads it). */
export class UnknownOption extends LabError {
  readonly known: string[];
  constructor({file, key, known}: {file: string; key: string; known: string[]}) {
    super({
      file,
      column: key,
      reason: "unknown option",
      hint: known.length ? `known: ${known.join(", ")}` : "this pipeline takes no options"
    });
    this.known = known;
  }
}
