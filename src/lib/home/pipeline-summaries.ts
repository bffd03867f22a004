import {labPaths, type LabPaths} from "../catalog/paths.js";
import {genericTables} from "../catalog/builtins.js";
import {listTopics, noteTopics, queryWarehouse} from "../catalog/warehouse.js";
import {domains, tableOwner} from "../registry.js";

export interface TableSummary {
  name: string;
  description: string;
  /** The title of the pipeline (or plugin) that declares it. */
  pipeline: string;
  /** What the home page shows for it: `table · pipeline`. */
  label: string;
  rows: number | null;
  built_at: string | null;
}

/** One dataset a pipeline holds (see docs/catalog.md "Datasets"). */
export interface DatasetSummary {
  dataset: string;
  simulated: boolean;
  files: number;
  newest_mtime: string | null;
  options_file: string | null;
}

export interface HomeSummary {
  built_at: string;
  pipelines: {
    name: string;
    title: string;
    summary: string;
    page: string | null;
    tables: TableSummary[];
    /** Its datasets (`datasets/<pipeline>/<dataset>/`), real ones first, newest first. */
    datasets: DatasetSummary[];
  }[];
  /** Warehouse tables that no pipeline, the catalog or a user plugin declares (a bug: the tests fail on any). */
  undeclared: string[];
}

/** How the home page labels a table with its pipeline. */
export function tableLabel({table, pipeline}: {table: string; pipeline: string}): string {
  return `${table} · ${pipeline}`;
}

/** The user plugins the last ingest loaded, with the topics they declare. */
async function userPlugins(paths: LabPaths, present: Set<string>): Promise<{name: string; topics: string[]}[]> {
  if (!present.has("catalog_plugins")) return [];
  const rows = await queryWarehouse({
    paths,
    topics: ["catalog_plugins"],
    sql: "SELECT name, topics FROM catalog_plugins WHERE source = 'user' AND status = 'OK' ORDER BY name"
  });
  return rows.map((r) => ({name: String(r.name), topics: (r.topics as string[] | null) ?? []}));
}

/** Each pipeline's datasets from `catalog_datasets` (key "" for the folders outside any pipeline's). */
async function datasetsByPipeline(paths: LabPaths, present: Set<string>): Promise<Map<string, DatasetSummary[]>> {
  const byPipeline = new Map<string, DatasetSummary[]>();
  if (!present.has("catalog_datasets")) return byPipeline;
  const rows = await queryWarehouse({
    paths,
    topics: ["catalog_datasets"],
    sql: `SELECT coalesce(pipeline, '') AS pipeline, dataset, simulated, files::INTEGER AS files,
            strftime(newest_mtime, '%Y-%m-%dT%H:%M:%SZ') AS newest_mtime, options_file
          FROM catalog_datasets ORDER BY pipeline, simulated, newest_mtime DESC, dataset`
  });
  for (const r of rows) {
    const list = byPipeline.get(String(r.pipeline)) ?? [];
    list.push({
      dataset: String(r.dataset),
      simulated: Boolean(r.simulated),
      files: Number(r.files),
      newest_mtime: (r.newest_mtime as string | null) ?? null,
      options_file: (r.options_file as string | null) ?? null
    });
    byPipeline.set(String(r.pipeline), list);
  }
  return byPipeline;
}

/**
 * Every pipeline of the registry with every table it declares, their row counts and last build
 * times, then the catalog: its own tables, the generic plugin's `raw_*` tables and user plugins'
 * tables present in the warehouse, each described by whoever declares it.
 */
export async function pipelineSummaries({
  paths = labPaths(),
  now = new Date()
}: {paths?: LabPaths; now?: Date} = {}): Promise<HomeSummary> {
  const topics = new Map(listTopics({paths}).map((t) => [t.topic, t]));
  const present = new Set(topics.keys());
  const users = await userPlugins(paths, present);
  const summary = (name: string, description: string, pipeline: string): TableSummary => {
    const topic = topics.get(name);
    return {
      name,
      description,
      pipeline,
      label: tableLabel({table: name, pipeline}),
      rows: topic ? topic.rows : null,
      built_at: topic?.updatedAt?.toISOString() ?? null
    };
  };
  const datasets = await datasetsByPipeline(paths, present);
  const pipelines: HomeSummary["pipelines"] = domains.map((d) => ({
    name: d.name,
    title: d.title,
    summary: d.summary,
    page: d.page ?? null,
    tables: d.tables.map((t) => summary(t.name, t.description, d.title)),
    datasets: datasets.get(d.name) ?? []
  }));
  const catalogTitle = "Ingestion catalog";
  const claimed = new Set(pipelines.flatMap((p) => p.tables.map((t) => t.name)));
  const catalogTables = genericTables.filter((t) => !t.name.endsWith("*")).map((t) => t.name);
  const others = [...present].filter((t) => !claimed.has(t) && !catalogTables.includes(t)).sort();
  const undeclared = others.filter((t) => !tableOwner({table: t, userPlugins: users}));
  pipelines.push({
    name: "catalog",
    title: catalogTitle,
    summary:
      "Files dropped into datasets/, versioned by content and routed to plugins; tables from the generic and user plugins.",
    page: "/pages/catalog/",
    datasets: datasets.get("") ?? [],
    tables: [
      ...["catalog_files", "catalog_jobs"].map((name) =>
        summary(name, genericTables.find((t) => t.name === name)!.description, catalogTitle)
      ),
      ...others.map((name) => {
        const owner = tableOwner({table: name, userPlugins: users});
        return summary(
          name,
          owner?.description ?? "undeclared: no pipeline or plugin declares this table",
          owner?.title === catalogTitle ? catalogTitle : (owner?.title ?? "undeclared")
        );
      })
    ]
  });
  noteTopics({
    paths,
    topics: [
      ...(present.has("catalog_datasets") ? ["catalog_datasets"] : []),
      ...pipelines.flatMap((p) => p.tables.map((t) => t.name)).filter((t) => present.has(t))
    ]
  });
  return {built_at: now.toISOString(), pipelines, undeclared};
}
