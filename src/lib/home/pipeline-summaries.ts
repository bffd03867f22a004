import {labPaths, type LabPaths} from "../catalog/paths.js";
import {listTopics, noteTopics} from "../catalog/warehouse.js";
import {pipelines} from "../pipelines.js";

export interface TableSummary {
  name: string;
  description: string;
  rows: number | null;
  built_at: string | null;
}

export interface HomeSummary {
  built_at: string;
  pipelines: {name: string; title: string; summary: string; page: string | null; tables: TableSummary[]}[];
}

/** Pipelines with their tables' row counts and last build times, from the warehouse. */
export async function pipelineSummaries({
  paths = labPaths(),
  now = new Date()
}: {paths?: LabPaths; now?: Date} = {}): Promise<HomeSummary> {
  const topics = new Map(listTopics({paths}).map((t) => [t.topic, t]));
  const claimed = new Set(pipelines.flatMap((p) => p.tables.map((t) => t.name)));
  // Tables no pipeline declares come from user and generic plugins: list them under the catalog.
  const others = [...topics.keys()].filter((t) => !claimed.has(t) && !t.startsWith("catalog_"));
  const catalog = {
    name: "catalog",
    title: "Ingestion catalog",
    summary:
      "Files dropped into datasets/, versioned by content and routed to plugins; tables from generic and user plugins.",
    page: "/pages/catalog/",
    tables: [
      {name: "catalog_files", description: "every file location seen, with its current version"},
      {name: "catalog_jobs", description: "every plugin job: state, attempts, error"},
      ...others.map((name) => ({
        name,
        description: `rows published by ${name.startsWith("raw_") ? "the generic CSV / JSON Lines plugin" : "a user plugin"}`
      }))
    ]
  };
  noteTopics({paths, topics: [...claimed, ...catalog.tables.map((t) => t.name)].filter((t) => topics.has(t))});
  return {
    built_at: now.toISOString(),
    pipelines: [...pipelines, catalog].map((pipeline) => ({
      name: pipeline.name,
      title: pipeline.title,
      summary: pipeline.summary,
      page: pipeline.page ?? null,
      tables: pipeline.tables.map((table) => {
        const topic = topics.get(table.name);
        return {
          name: table.name,
          description: table.description,
          rows: topic ? topic.rows : null,
          built_at: topic?.updatedAt?.toISOString() ?? null
        };
      })
    }))
  };
}
