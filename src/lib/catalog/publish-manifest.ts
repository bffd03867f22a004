import {existsSync, mkdirSync, rmSync} from "node:fs";
import {join, resolve} from "node:path";
import {openDuckDB, type Duck} from "../core/duckdb.js";
import {quoteIdent, quoteString} from "../core/sql.js";
import type {Derivation} from "./derivation.js";
import {datasetFolderSql, datasetRef} from "./datasets.js";
import type {LabPaths} from "./paths.js";
import {applyDerivations} from "./run-derivations.js";
import type {UnitsSetting} from "./units.js";
import {readManifest, schemaFingerprint, topicSource, writeManifest, type Manifest} from "./warehouse.js";
import {placeCurrent, retireSuperseded} from "./warehouse-layout.js";

const OPTIONS_FILE_SQL = `(l.rel_path = 'dataset.json' OR l.rel_path LIKE '%/dataset.json')`;

/** Each present location's dataset folder, and each dataset folder's options (dataset.json) hash. */
function datasetViews(pipelines: readonly string[]): string {
  return `present AS (
      SELECT l.*, ${datasetFolderSql({relPath: "l.rel_path", pipelines})} AS dataset_folder
      FROM file_locations l WHERE NOT l.missing AND NOT ${OPTIONS_FILE_SQL}),
    options AS (
      SELECT regexp_replace(l.rel_path, '/?dataset\.json$', '') AS dataset_folder, r.path || '/' || l.rel_path AS options_file, v.content_hash AS options_hash
      FROM file_locations l JOIN source_roots r USING (root_id) JOIN file_versions v ON v.file_version_id = l.current_version_id
      WHERE NOT l.missing AND ${OPTIONS_FILE_SQL})`;
}

/** The catalog's own tables, published as topics with every manifest (see genericTables in builtins.ts). */
export const catalogSnapshots = (pipelines: readonly string[]): Record<string, string> => ({
  catalog_files: `SELECT l.file_id, r.path AS source_root, l.rel_path, ${datasetFolderSql({relPath: "l.rel_path", pipelines})} AS dataset_folder, l.size, l.current_version_id AS file_version_id, v.content_hash, l.first_seen, l.last_seen, l.missing FROM file_locations l JOIN source_roots r USING (root_id) LEFT JOIN file_versions v ON v.file_version_id = l.current_version_id`,
  catalog_datasets: `WITH ${datasetViews(pipelines)},
    named AS (SELECT *, split_part(dataset_folder, '/', 1) AS top FROM present)
    SELECT CASE WHEN top IN (${pipelines.length ? pipelines.map(quoteString).join(", ") : "NULL"}) THEN top END AS pipeline,
      CASE WHEN dataset_folder = '' THEN 'default' WHEN top IN (${pipelines.length ? pipelines.map(quoteString).join(", ") : "NULL"}) THEN coalesce(nullif(split_part(dataset_folder, '/', 2), ''), 'default') ELSE top END AS dataset,
      dataset_folder AS folder, bool_and(n.rel_path LIKE '%.sim.json') AS simulated, count(*) AS files,
      max(v.mtime) AS newest_mtime, any_value(o.options_file) AS options_file
    FROM named n JOIN file_versions v ON v.file_version_id = n.current_version_id LEFT JOIN options o USING (dataset_folder)
    GROUP BY ALL ORDER BY pipeline NULLS LAST, dataset`,
  catalog_versions: `SELECT file_version_id, content_hash, size, mtime, first_seen FROM file_versions`,
  catalog_location_versions: `SELECT lv.file_id, r.path || '/' || l.rel_path AS path, lv.file_version_id, v.content_hash, lv.seen_at FROM location_versions lv JOIN file_locations l USING (file_id) JOIN source_roots r USING (root_id) JOIN file_versions v USING (file_version_id)`,
  catalog_jobs: `SELECT j.job_id, j.plugin, j.plugin_version, j.file_version_id, j.file_id, r.path || '/' || l.rel_path AS path, j.dataset_folder, j.tag, j.route_key, j.params_hash, j.status, j.priority, j.attempts, j.error, j.created_at, j.started_at, j.finished_at, j.rows, j.code_version FROM jobs j JOIN file_locations l USING (file_id) JOIN source_roots r USING (root_id)`,
  catalog_outputs: `SELECT o.job_id, o.topic, o.path, o.rows FROM job_outputs o`,
  catalog_plugins: `SELECT name, source, module, tags, topics, version, status, error, loaded_at, params_hash FROM plugins`
});

/**
 * Rebuilds the manifest from the catalog: for every (file version, dataset) that some present
 * location holds now, the outputs of its latest committed job per plugin under the dataset's
 * current options. Superseded versions drop out of
 * the view (their files and lineage stay), and the catalog tables are published as topics too.
 * With `derive`, derivations whose inputs changed are recomputed (see applyDerivations).
 */
export async function publishManifest({
  catalog,
  paths,
  pipelines,
  derivations,
  derive,
  duckdbSink,
  derivationMemoryMb,
  derivationFailures,
  units,
  now,
  log
}: {
  catalog: Duck;
  paths: LabPaths;
  /** The pipelines' names (dataset folders: src/lib/catalog/datasets.ts). */
  pipelines: readonly string[];
  derivations: Derivation[];
  derive: boolean;
  /** Also keep each topic as a table in the warehouse's DuckDB file. */
  duckdbSink: boolean;
  /** Each derivation's worker thread: its heap limit (see applyDerivations). */
  derivationMemoryMb: number;
  /** See applyDerivations' `failed`. */
  derivationFailures?: Map<string, string>;
  /** See applyDerivations' `units`. */
  units?: UnitsSetting;
  now: () => Date;
  log: (line: string) => void;
}): Promise<void> {
  const topics = await catalog.all<{topic: string; fingerprint: string; schema_json: string}>(
    "SELECT * FROM topics ORDER BY topic"
  );
  const files = await catalog.all<{
    topic: string;
    path: string;
    rows: bigint;
    job_id: number;
    file_version_id: number;
    file_id: number;
    dataset_folder: string;
  }>(`
    WITH ${datasetViews(pipelines)},
    current_keys AS (
      SELECT DISTINCT p.current_version_id AS file_version_id, p.dataset_folder, r.plugin, r.route_key
      FROM present p JOIN location_routes r USING (file_id)),
    latest AS (
      SELECT j.* FROM jobs j JOIN current_keys k USING (file_version_id, dataset_folder, plugin, route_key)
        LEFT JOIN options o USING (dataset_folder) LEFT JOIN plugins pl ON pl.name = j.plugin AND pl.status = 'OK'
      WHERE j.rows IS NOT NULL AND j.status IN ('COMPLETED', 'FAILED') AND j.options_hash = coalesce(o.options_hash, '')
        AND j.params_hash = coalesce(pl.params_hash, j.params_hash)
      QUALIFY row_number() OVER (PARTITION BY j.plugin, j.file_version_id, j.dataset_folder, j.route_key ORDER BY j.plugin_version DESC, j.job_id DESC) = 1
    )
    SELECT o.topic, o.path, o.rows, j.job_id, j.file_version_id, j.file_id, j.dataset_folder FROM job_outputs o JOIN latest j USING (job_id) ORDER BY o.topic, j.job_id, o.path`);
  const manifest: Manifest = {generated_at: now().toISOString(), topics: {}};
  for (const t of topics)
    manifest.topics[t.topic] = {fingerprint: t.fingerprint, schema: JSON.parse(t.schema_json), files: []};
  for (const f of files)
    manifest.topics[f.topic]?.files.push({
      path: f.path,
      job_id: f.job_id,
      file_version_id: f.file_version_id,
      file_id: f.file_id,
      dataset_folder: f.dataset_folder,
      rows: Number(f.rows)
    });
  const previous = readManifest(paths);
  const stamp = Date.now();
  mkdirSync(join(paths.warehouseDir, "_catalog"), {recursive: true});
  for (const [name, sql] of Object.entries(catalogSnapshots(pipelines))) {
    const rel = `_catalog/${name}-${stamp}.parquet`;
    const rows = await catalog.run(
      `COPY (${sql}) TO ${quoteString(join(paths.warehouseDir, rel))} (FORMAT parquet, COMPRESSION zstd)`
    );
    const schema = await catalog.all<{column_name: string; column_type: string}>(`DESCRIBE ${sql}`);
    const cols = schema.map((c) => ({name: c.column_name, type: c.column_type}));
    manifest.topics[name] = {
      fingerprint: schemaFingerprint(cols),
      schema: cols,
      files: [{path: rel, job_id: null, file_version_id: null, file_id: null, rows}]
    };
  }
  const roots = (await catalog.all<{path: string}>("SELECT path FROM source_roots ORDER BY root_id")).map(
    (r) => r.path
  );
  const replaced = await applyDerivations({
    paths,
    datasetFor: (folder) =>
      datasetRef({
        paths,
        root: roots.find((root) => existsSync(resolve(paths.projectDir, root, folder))) ?? roots[0] ?? ".",
        folder,
        pipelines
      }),
    derivations,
    manifest,
    previous,
    derive,
    memoryMb: derivationMemoryMb,
    failed: derivationFailures,
    units,
    now,
    log
  });
  // Outside readers glob the topic folders: a file entering the view is in place before the
  // manifest names it, and one leaving it moves out only after (see warehouse-layout.ts).
  const jobFiles = (m: Manifest) =>
    new Set(Object.values(m.topics).flatMap((t) => t.files.filter((f) => f.job_id !== null).map((f) => f.path)));
  const [was, is] = [jobFiles(previous), jobFiles(manifest)];
  placeCurrent({paths, files: [...is].filter((f) => !was.has(f))});
  writeManifest({paths, manifest});
  retireSuperseded({paths, files: [...was].filter((f) => !is.has(f)), now: now()});
  for (const name of Object.keys(catalogSnapshots(pipelines)))
    for (const f of previous.topics[name]?.files ?? []) rmSync(join(paths.warehouseDir, f.path), {force: true});
  for (const dir of replaced) rmSync(join(paths.warehouseDir, dir), {recursive: true, force: true});
  if (duckdbSink) await syncDuckDBSink({paths, manifest});
}

/** The DuckDB table sink: each topic replaced inside one transaction, so readers see whole states. */
async function syncDuckDBSink({paths, manifest}: {paths: LabPaths; manifest: Manifest}): Promise<void> {
  const duck = await openDuckDB({path: paths.warehouseDbPath});
  try {
    await duck.run("BEGIN TRANSACTION");
    for (const [name, entry] of Object.entries(manifest.topics))
      await duck.run(`CREATE OR REPLACE TABLE ${quoteIdent(name)} AS ${topicSource({paths, entry})}`);
    await duck.run("COMMIT");
  } finally {
    duck.close();
  }
}
