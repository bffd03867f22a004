import type {Duck} from "../core/duckdb.js";
import {openDuckDB} from "../core/duckdb.js";
import {lockHolder} from "./lock.js";
import type {LabPaths} from "./paths.js";
import {listTopics, readManifest, registerTopics} from "./warehouse.js";
import {quoteIdent} from "../core/sql.js";
import {existsSync} from "node:fs";

export interface CatalogStatus {
  files: number;
  missingFiles: number;
  versions: number;
  jobsByStatus: Record<string, number>;
  lastErrors: {job_id: number; plugin: string; path: string; status: string; error: string}[];
  plugins: {name: string; source: string; status: string; tags: string[]; topics: string[]; error: string | null}[];
  topics: {topic: string; files: number; rows: number}[];
  /** Rows set aside per quarantine table (`quarantine`, `*_quarantine`) and dataset, most first. */
  quarantine: {topic: string; dataset: string; rows: number}[];
  /** The code versions that ran the committed jobs (newest first), and each derivation's. */
  codeVersions: {version: string; jobs: number; lastAt: Date | null}[];
  derived: {key: string; codeVersion: string | null; at: string}[];
  ingestRunningPid?: number;
}

/** A pipeline's table of rows it set aside: `quarantine` or `<pipeline>_quarantine`. */
export const isQuarantineTopic = (topic: string): boolean =>
  topic === "quarantine" || (topic.endsWith("_quarantine") && !topic.startsWith("catalog_"));

/** How many rows each dataset had set aside, from the quarantine tables' current view. */
async function quarantineCounts({duck, paths}: {duck: Duck; paths: LabPaths}): Promise<CatalogStatus["quarantine"]> {
  const topics = listTopics({paths}).filter((t) => isQuarantineTopic(t.topic) && t.rows > 0);
  if (!topics.length) return [];
  await registerTopics({duck, paths, topics: topics.map((t) => t.topic)});
  const union = topics
    .map((t) => `SELECT '${t.topic}' AS topic, dataset FROM ${quoteIdent(t.topic)}`)
    .join(" UNION ALL ");
  const rows = await duck.all<{topic: string; dataset: string; rows: bigint}>(
    `SELECT topic, coalesce(dataset, '(none)') AS dataset, count(*) AS rows FROM (${union}) GROUP BY ALL ORDER BY rows DESC, topic, dataset`
  );
  return rows.map((r) => ({topic: r.topic, dataset: r.dataset, rows: Number(r.rows)}));
}

/**
 * What the catalog holds. While an ingest owns the catalog database (watch mode), it is read from
 * the catalog snapshot the ingest publishes into the warehouse instead.
 */
export async function catalogStatus({paths}: {paths: LabPaths}): Promise<CatalogStatus> {
  const holder = lockHolder(paths.lockPath);
  const topics = listTopics({paths});
  const duck = await openDuckDB();
  try {
    if (holder || !existsSync(paths.catalogPath)) {
      const names = ["catalog_files", "catalog_versions", "catalog_jobs", "catalog_plugins"];
      if (!names.every((n) => topics.some((t) => t.topic === n))) return empty(holder);
      await registerTopics({duck, paths, topics: names});
      const quarantine = await quarantineCounts({duck, paths});
      return await read(
        duck,
        paths,
        {files: "catalog_files", versions: "catalog_versions", jobs: "catalog_jobs", plugins: "catalog_plugins"},
        topics,
        quarantine,
        holder
      );
    }
    await duck.run(`ATTACH '${paths.catalogPath.replaceAll("'", "''")}' AS c (READ_ONLY)`);
    await duck.run(
      `CREATE VIEW catalog_files AS SELECT l.*, r.path AS source_root FROM c.file_locations l JOIN c.source_roots r USING (root_id)`
    );
    await duck.run(
      `CREATE VIEW catalog_jobs AS SELECT j.*, r.path || '/' || l.rel_path AS path FROM c.jobs j JOIN c.file_locations l USING (file_id) JOIN c.source_roots r USING (root_id)`
    );
    const quarantine = await quarantineCounts({duck, paths});
    return await read(
      duck,
      paths,
      {files: "catalog_files", versions: "c.file_versions", jobs: "catalog_jobs", plugins: "c.plugins"},
      topics,
      quarantine,
      undefined
    );
  } finally {
    duck.close();
  }
}

function empty(holder?: number): CatalogStatus {
  return {
    files: 0,
    missingFiles: 0,
    versions: 0,
    jobsByStatus: {},
    lastErrors: [],
    plugins: [],
    topics: [],
    quarantine: [],
    codeVersions: [],
    derived: [],
    ingestRunningPid: holder
  };
}

async function read(
  duck: Duck,
  paths: LabPaths,
  t: {files: string; versions: string; jobs: string; plugins: string},
  topics: ReturnType<typeof listTopics>,
  quarantine: CatalogStatus["quarantine"],
  holder?: number
): Promise<CatalogStatus> {
  const [files] = await duck.all<{n: bigint; m: bigint}>(
    `SELECT count(*) AS n, count(*) FILTER (WHERE missing) AS m FROM ${t.files}`
  );
  const [versions] = await duck.all<{n: bigint}>(`SELECT count(*) AS n FROM ${t.versions}`);
  const jobs = await duck.all<{status: string; n: bigint}>(
    `SELECT status, count(*) AS n FROM ${t.jobs} GROUP BY status ORDER BY status`
  );
  const lastErrors = await duck.all<CatalogStatus["lastErrors"][number]>(
    `SELECT job_id, plugin, path, status, error FROM ${t.jobs} WHERE error IS NOT NULL ORDER BY job_id DESC LIMIT 10`
  );
  const plugins = await duck.all<CatalogStatus["plugins"][number]>(
    `SELECT name, source, status, tags, topics, error FROM ${t.plugins} ORDER BY source, name`
  );
  // A snapshot written before jobs recorded their code version has no such column.
  const codeVersions = await duck
    .all<{version: string; jobs: bigint; last_at: Date | null}>(
      `SELECT code_version AS version, count(*) AS jobs, max(finished_at) AS last_at FROM ${t.jobs} WHERE code_version IS NOT NULL GROUP BY 1 ORDER BY last_at DESC NULLS LAST LIMIT 5`
    )
    .catch(() => []);
  return {
    files: Number(files!.n),
    missingFiles: Number(files!.m),
    versions: Number(versions!.n),
    jobsByStatus: Object.fromEntries(jobs.map((j) => [j.status, Number(j.n)])),
    lastErrors,
    plugins,
    topics: topics
      .filter((x) => !x.topic.startsWith("catalog_"))
      .map((x) => ({topic: x.topic, files: x.files, rows: x.rows})),
    quarantine,
    codeVersions: codeVersions.map((v) => ({version: v.version, jobs: Number(v.jobs), lastAt: v.last_at})),
    derived: Object.entries(readManifest(paths).derived ?? {}).map(([key, d]) => ({
      key,
      codeVersion: d.codeVersion ?? null,
      at: d.at
    })),
    ingestRunningPid: holder
  };
}
