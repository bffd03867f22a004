import type {RoutingRule} from "./config.js";
import type {Derivation} from "./derivation.js";
import type {Plugin} from "./plugin.js";
import {genericTableModule, genericTablePlugin} from "./plugins/generic-table.js";

/** A plugin that ships with the lab, and the module and export a worker thread imports it by. */
export interface BuiltinPlugin {
  module: string;
  exportName: string;
  plugin: Plugin;
}

/**
 * What the caller hands the catalog: the domains' plugins, derivations and routing defaults
 * (src/lib/registry.ts `catalogBuiltins()`). The catalog imports no domain; with none handed in it
 * runs its generic plugin alone.
 */
export interface CatalogBuiltins {
  plugins: BuiltinPlugin[];
  /** Run after ingest, in order (a later one may read an earlier one's outputs). */
  derivations: Derivation[];
  /** Checked after the project's own rules (lab.config.ts) and before the generic catch-alls. */
  routing: RoutingRule[];
  /** The pipelines' names: `datasets/<pipeline>/<dataset>/` folders are datasets of these. */
  pipelines: string[];
}

export const noBuiltins: CatalogBuiltins = {plugins: [], derivations: [], routing: [], pipelines: []};

/** The catalog's own plugin: any CSV or JSON Lines file into a `raw_<name>` table. */
export const genericPlugin: BuiltinPlugin = {
  module: genericTableModule,
  exportName: "genericTablePlugin",
  plugin: genericTablePlugin
};

/** The catalog's own tables (a trailing `*` names a family). */
export const genericTables: {name: string; description: string}[] = [
  {name: "catalog_files", description: "every file location seen, with its current version"},
  {
    name: "catalog_datasets",
    description: "every dataset: pipeline, name, folder, simulated or real, files, newest file, dataset.json"
  },
  {name: "catalog_versions", description: "every file version: content hash, size, mtime"},
  {name: "catalog_location_versions", description: "which version each location held, and when it was seen"},
  {name: "catalog_jobs", description: "every plugin job: state, attempts, error"},
  {name: "catalog_outputs", description: "every Parquet file a job published, per topic"},
  {name: "catalog_plugins", description: "every plugin: built-in or user, tags, topics, status"},
  {name: "raw_*", description: "rows of a CSV or JSON Lines file, as read by the generic plugin"}
];
