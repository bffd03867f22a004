import {existsSync, readdirSync, statSync} from "node:fs";
import {join} from "node:path";
import {noteLoaderInput} from "../core/loader-inputs.js";
import {parquetRowCount} from "../core/parquet-read.js";
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

/** Parquet files of a warehouse topic (promoted files only: hidden and temporary files are not data). */
function topicFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    if (entry.name.startsWith(".") || entry.name.startsWith("_")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...topicFiles(path));
    else if (entry.name.endsWith(".parquet")) files.push(path);
  }
  return files;
}

/** Pipelines with their tables' row counts and last build times, from the warehouse. */
export async function pipelineSummaries({projectDir, now = new Date()}: {projectDir: string; now?: Date}): Promise<HomeSummary> {
  const warehouse = join(projectDir, ".lab", "warehouse");
  noteLoaderInput({path: warehouse, projectDir});
  const summaries = [];
  for (const pipeline of pipelines) {
    const tables: TableSummary[] = [];
    for (const table of pipeline.tables) {
      const files = topicFiles(join(warehouse, table.name));
      tables.push({
        name: table.name,
        description: table.description,
        rows: files.length ? await parquetRowCount({path: files}) : null,
        built_at: files.length ? new Date(Math.max(...files.map((f) => statSync(f).mtimeMs))).toISOString() : null
      });
    }
    summaries.push({name: pipeline.name, title: pipeline.title, summary: pipeline.summary, page: pipeline.page ?? null, tables});
  }
  return {built_at: now.toISOString(), pipelines: summaries};
}
