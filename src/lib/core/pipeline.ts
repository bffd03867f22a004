/**
 * The command-line face of a pipeline (`lab run NAME`): given input files (or a seed for
 * simulations), write its tables as Parquet files named `<table>.parquet` into a folder. The
 * catalog face (plugins, derivations) lives beside it in the domain (src/lib/<domain>/index.ts).
 */
import type {DatasetInfo} from "./dataset.js";
import type {FlagSpec} from "./flags.js";

export interface PipelineRunOptions {
  /** Input files (datasets or simulation specs); may be empty for pure simulations. */
  files: string[];
  /**
   * The dataset the files belong to: its name (every table's \`dataset\` column) and its
   * dataset.json options. \`lab run NAME --dataset DIR\` reads it from DIR; files given one by one
   * form the dataset \`default\` with no options.
   */
  dataset: DatasetInfo;
  /** Folder the tables are written into, one `<table>.parquet` each. */
  outDir: string;
  /** Seed for every random choice. */
  seed: number;
  /** Pipeline-specific flags from the command line (`--rows 1000`). */
  flags: Record<string, string | boolean>;
  /** Called with human-readable progress lines. */
  log: (line: string) => void;
  /** Stops long-running modes (following a live feed); the command-line verb aborts it on Ctrl-C. */
  signal?: AbortSignal;
}

export interface PipelineRunResult {
  tables: {name: string; path: string; rows: number}[];
}

/**
 * How `lab run` treats the output folder:
 * - `replace` (the default): the run writes into a staging folder that replaces `--out` whole
 *   only when it succeeds; `carry` names files copied over from the old folder first (state that
 *   grows from run to run).
 * - `resumable`: the same, but staged in the stable `<out>.partial/`, kept when the run fails so
 *   `resume` can continue from its checkpoint.
 * - `in-place`: written straight into `--out` as the run goes (live modes meant to be watched).
 */
export type OutputMode =
  {kind: "replace"; carry?: string[]} | {kind: "resumable"; resume: boolean} | {kind: "in-place"};

export interface Pipeline {
  /** Short name used on the command line (`lab run effluent …`). */
  name: string;
  /** The flags and files it accepts, for `lab run NAME --help`. */
  usage: string;
  /** Every flag it takes (besides `lab run`'s own --out and --seed); `lab run` refuses any other. */
  flags: FlagSpec[];
  /** How these flags want the output folder treated (default: replace). */
  outputMode?(run: {flags: Record<string, string | boolean>; files: string[]}): OutputMode;
  run(options: PipelineRunOptions): Promise<PipelineRunResult>;
}
