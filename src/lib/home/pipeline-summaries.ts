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
export async function pipelineSummaries({paths = labPaths(), now = new Date()}: {paths?: LabPaths; now?: Date} = {}): Promise<HomeSummary> {
  const topics = new Map(listTopics({paths}).map((t) => [t.topic, t]));
  noteTopics({paths, topics: pipelines.flatMap((p) => p.tables.map((t) => t.name)).filter((t) => topics.has(t))});
  return {
    built_at: now.toISOString(),
    pipelines: pipelines.map((pipeline) => ({
      name: pipeline.name,
      title: pipeline.title,
      summary: pipeline.summary,
      page: pipeline.page ?? null,
      tables: pipeline.tables.map((table) => {
        const topic = topics.get(table.name);
        return {name: table.name, description: table.description, rows: topic ? topic.rows : null, built_at: topic?.updatedAt?.toISOString() ?? null};
      })
    }))
  };
}
