/**
 * Every pipeline of the lab, one line each. A domain (src/lib/<domain>/index.ts) brings its
 * command-line runner, catalog plugins, derivations, tables and routing defaults; the CLI, the
 * site's build and the home page read them from here. Adding a pipeline: its folder with an
 * index.ts exporting a Domain, one line below, and its pages.
 */
import type {CatalogBuiltins} from "./catalog/builtins.js";
import {genericTables} from "./catalog/builtins.js";
import type {Domain, TableDeclaration} from "./domain.js";
import {demoDomain} from "./demo/index.js";
import {effluentDomain} from "./effluent/index.js";
import {kpiDomain} from "./kpi/index.js";
import {marketDomain} from "./market/index.js";
import {metersDomain} from "./meters/index.js";

export const domains: Domain[] = [demoDomain, effluentDomain, metersDomain, kpiDomain, marketDomain];

/** What the catalog runs for the domains: plugins (with where workers import them), derivations, routing. */
export function catalogBuiltins(): CatalogBuiltins {
  return {
    plugins: domains.flatMap((d) =>
      Object.entries(d.plugins).map(([exportName, plugin]) => ({module: d.module, exportName, plugin}))
    ),
    derivations: domains.flatMap((d) => d.derivations),
    routing: domains.flatMap((d) => d.routing),
    pipelines: domains.map((d) => d.name)
  };
}

export interface TableOwner {
  /** The domain's name, or "catalog" for the catalog's own and generic tables, or "plugin:<name>". */
  owner: string;
  /** The pipeline's title (or the catalog's, or the user plugin's name). */
  title: string;
  description: string;
}

/**
 * Who declares a warehouse table and what a row is: a domain, the catalog (its snapshots and the
 * generic plugin's `raw_*` family) or a user plugin (by its declared topics). Undefined when no
 * one declares it, which the tests treat as an error.
 */
export function tableOwner({
  table,
  userPlugins = []
}: {
  table: string;
  userPlugins?: {name: string; topics: string[]}[];
}): TableOwner | undefined {
  for (const d of domains) {
    const t = d.tables.find((x) => x.name === table);
    if (t) return {owner: d.name, title: d.title, description: t.description};
  }
  const generic = genericTables.find((t) =>
    t.name.endsWith("*") ? table.startsWith(t.name.slice(0, -1)) : t.name === table
  );
  if (generic) return {owner: "catalog", title: "Ingestion catalog", description: generic.description};
  for (const p of userPlugins)
    if (p.topics.some((t) => (t.endsWith("*") ? table.startsWith(t.slice(0, -1)) : t === table)))
      return {
        owner: `plugin:${p.name}`,
        title: `plugin ${p.name}`,
        description: `rows published by the plugin ${p.name}`
      };
  return undefined;
}

/** Every table a domain declares, with its domain. */
export function declaredTables(): (TableDeclaration & {domain: Domain})[] {
  return domains.flatMap((domain) => domain.tables.map((t) => ({...t, domain})));
}
