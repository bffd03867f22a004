import {mkdirSync, mkdtempSync, symlinkSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join} from "node:path";
import {defaultConfig, type LabConfig} from "../../src/lib/catalog/config.js";
import {ingest, type IngestSummary} from "../../src/lib/catalog/ingest.js";
import {labPaths, type LabPaths} from "../../src/lib/catalog/paths.js";
import {queryWarehouse, readManifest} from "../../src/lib/catalog/warehouse.js";
import {openDuckDB, type Row} from "../../src/lib/core/duckdb.js";
import {catalogBuiltins} from "../../src/lib/registry.js";

export const repoDir = join(import.meta.dirname, "..", "..");
export const pluginTypes = join(repoDir, "src", "lib", "catalog", "plugin.js");

export interface TestProject {
  dir: string;
  paths: LabPaths;
  config: LabConfig;
  write(rel: string, content: string | Buffer): string;
  ingest(overrides?: Partial<LabConfig>): Promise<IngestSummary>;
  query(topics: string[], sql: string): Promise<Row[]>;
  catalog(sql: string): Promise<Row[]>;
}

const quiet = {write: () => {}, isTTY: false};

export function makeProject(config: Partial<LabConfig> = {}): TestProject {
  const dir = mkdtempSync(join(tmpdir(), "catalog-"));
  symlinkSync(join(repoDir, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "package.json"), '{"type": "module"}');
  const paths = labPaths({projectDir: dir, labDir: ".lab"});
  const full: LabConfig = {
    ...defaultConfig,
    workers: 2,
    stableWaitMs: 20,
    retry: {maxAttempts: 3, backoffMs: 50},
    ...config
  };
  const project: TestProject = {
    dir,
    paths,
    config: full,
    write(rel, content) {
      const path = join(dir, rel);
      mkdirSync(dirname(path), {recursive: true});
      writeFileSync(path, content);
      return path;
    },
    ingest: (overrides = {}) =>
      // Local threads even where LAB_QUEUE_URL is set (the queue's own tests pass a URL).
      ingest({
        paths,
        config: {...full, ...overrides},
        queueUrl: false,
        builtins: catalogBuiltins(),
        output: quiet,
        log: () => {}
      }),
    query: (topics, sql) => queryWarehouse({paths, topics, sql}),
    async catalog(sql) {
      const duck = await openDuckDB({path: paths.catalogPath});
      try {
        return await duck.all(sql);
      } finally {
        duck.close();
      }
    }
  };
  return project;
}

export {readManifest};
