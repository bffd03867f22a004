import type {Derivation} from "./catalog/derivation.js";
import type {Plugin} from "./catalog/plugin.js";
import type {RoutingRule} from "./catalog/config.js";
import type {DatasetInfo} from "./core/dataset.js";
import type {Column} from "./core/parquet-write.js";
import type {Pipeline} from "./core/pipeline.js";

/** A table a domain writes: the same name and columns from the command line and the catalog. */
export interface TableDeclaration {
  /** snake_case; the Parquet file's base name on the command line and the topic in the catalog. */
  name: string;
  /** One line saying what a row is. */
  description: string;
  /** Its columns in order (the catalog adds its lineage columns `_job_id`, `_file_version_id`, `_file_id`). */
  columns: Column[];
}

/**
 * Everything one pipeline offers, exported by `src/lib/<domain>/index.ts` and listed in
 * `src/lib/registry.ts`: the command-line runner, the catalog's plugins and derivations, the
 * tables both write, and the routing that sends dataset files to its plugins.
 */
export interface Domain {
  /** Short name (`lab run NAME`, the home page's pipeline key). */
  name: string;
  title: string;
  summary: string;
  /** The site page that explores it (`/pages/kpi/`). */
  page?: string;
  /** The URL of the domain's index module: worker threads import its plugins from it by export name. */
  module: string;
  pipeline: Pipeline;
  /** Plugins by the name the index module exports them under. */
  plugins: Record<string, Plugin>;
  /** Run after ingest, over every file's topics (in registry order, then list order). */
  derivations: Derivation[];
  tables: TableDeclaration[];
  /** Default routing (glob → tag) for its plugins; the project's lab.config.ts rules come first. */
  routing: RoutingRule[];
  /**
   * Reads a dataset's dataset.json (every key documented in docs/<name>.md with its default); throws
   * a LabError naming the file and key on a bad value, and UnknownOption on a key it does not read.
   */
  datasetOptions?: (dataset: DatasetInfo) => unknown;
}

/** Column lists as `name:TYPE` strings, so a table's schema reads as one line per column. */
export function columns(...specs: string[]): Column[] {
  return specs.map((spec) => {
    const at = spec.indexOf(":");
    return {name: spec.slice(0, at), type: spec.slice(at + 1)};
  });
}
