import type {DatasetInfo} from "../core/dataset.js";
import type {Duck} from "../core/duckdb.js";
import type {LabPaths} from "./paths.js";
import type {UnitsSetting} from "./units.js";

/** One Parquet file a derivation wrote for a topic (path relative to the warehouse folder). */
export interface DerivedOutput {
  topic: string;
  path: string;
  rows: number;
  schema: {name: string; type: string}[];
}

export interface DerivationContext {
  paths: LabPaths;
  /**
   * The dataset this run derives for: a derivation runs once per dataset whose inputs changed,
   * sees only that dataset's rows (its views have no \`dataset\` column), and its outputs get
   * the \`dataset\` column from the sink (\`folderSink({outDir, dataset: dataset.name})\`).
   */
  dataset: DatasetInfo;
  /** The input topics that hold rows of this dataset (the others are empty views, when the topic exists at all). */
  topics: string[];
  /** A DuckDB connection with one view per input topic (that dataset's rows), over the view about to be published. */
  duck: Duck;
  /** Where to write outputs: a fresh folder inside the warehouse (rename-free: the manifest publishes them). */
  outDir: string;
  /** Relative form of outDir, for DerivedOutput.path. */
  outRel: string;
  /** A cache folder of the derivation's own that survives runs (per-key results). */
  cacheDir: string;
  /** Where a derivation that splits its work into units runs them (`runUnits`): the catalog's queue, or local threads. */
  units?: UnitsSetting;
  log(line: string): void;
}

/**
 * A derivation computes topics from other topics across all files, after ingest: what per-file
 * plugins cannot do (a KPI forecast needs every file of a metric). It runs at the end of an
 * ingest pass when its inputs' current files (or its version) changed; its outputs are
 * published in the same atomic manifest swap as everything else.
 */
export interface Derivation {
  name: string;
  /**
   * Where a worker thread imports it from: the URL of a module (`import.meta.url`) that exports
   * it under `exportName`. Derivations run in a thread of their own, with a memory limit.
   */
  module: string;
  exportName: string;
  /** Bump to rerun on unchanged inputs (the code changed what it derives). */
  version: number;
  inputs: string[];
  outputs: string[];
  run(ctx: DerivationContext): Promise<DerivedOutput[]>;
}

/** Whether a module's export looks like a Derivation (a worker checks what it imported). */
export function isDerivation(value: unknown): value is Derivation {
  const d = value as Partial<Derivation> | undefined;
  return (
    typeof d === "object" &&
    d !== null &&
    typeof d.name === "string" &&
    typeof d.run === "function" &&
    Array.isArray(d.inputs) &&
    Array.isArray(d.outputs)
  );
}
