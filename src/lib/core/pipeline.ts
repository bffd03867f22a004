/**
 * The command-line face of a pipeline (`lab run NAME`): given input files (or a seed for
 * simulations), write its tables as Parquet files named `<table>.parquet` into a folder. The
 * catalog face (plugins, derivations) lives beside it in the domain (src/lib/<domain>/index.ts).
 */
export interface PipelineRunOptions {
  /** Input files (datasets or simulation specs); may be empty for pure simulations. */
  files: string[];
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

export interface Pipeline {
  /** Short name used on the command line (`lab run effluent …`). */
  name: string;
  /** The flags and files it accepts, for `lab run NAME --help`. */
  usage: string;
  run(options: PipelineRunOptions): Promise<PipelineRunResult>;
}
