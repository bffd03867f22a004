/**
 * The contract every pipeline offers the `lab run` command and the catalog: given input files (or
 * a seed for simulations), write its tables as Parquet files named `<table>.parquet` into a folder.
 */
export interface PipelineTable {
  /** Table name from DESIGN.md §3 (snake_case), also the Parquet file's base name. */
  name: string;
  /** One line saying what a row is. */
  description: string;
}

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
}

export interface PipelineRunResult {
  tables: {name: string; path: string; rows: number}[];
}

export interface Pipeline {
  /** Short name used on the command line (`lab run effluent …`). */
  name: string;
  title: string;
  summary: string;
  /** The site page that explores it (`/pages/lab/sql-over-parquet`). */
  page?: string;
  /** The flags and files it accepts, for `lab run NAME --help`. */
  usage: string;
  tables: PipelineTable[];
  run(options: PipelineRunOptions): Promise<PipelineRunResult>;
}
