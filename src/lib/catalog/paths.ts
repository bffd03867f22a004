import {join, resolve} from "node:path";

/** Where the catalog keeps its state, all under one folder (`.lab/` by default, gitignored). */
export interface LabPaths {
  projectDir: string;
  labDir: string;
  catalogPath: string;
  warehouseDir: string;
  /** The one manifest that says which warehouse files are visible; replaced atomically. */
  manifestPath: string;
  stagingDir: string;
  lockPath: string;
  /** Optional DuckDB table sink: every topic as a table. */
  warehouseDbPath: string;
}

/** The layout for a project; `labDir` (or $LAB_DIR) moves the state elsewhere, e.g. for tests. */
export function labPaths({
  projectDir = process.cwd(),
  labDir = process.env.LAB_DIR
}: {projectDir?: string; labDir?: string} = {}): LabPaths {
  const root = resolve(projectDir);
  const lab = labDir ? resolve(root, labDir) : join(root, ".lab");
  const warehouseDir = join(lab, "warehouse");
  return {
    projectDir: root,
    labDir: lab,
    catalogPath: join(lab, "catalog.duckdb"),
    warehouseDir,
    manifestPath: join(warehouseDir, "_manifest.json"),
    stagingDir: join(lab, "staging"),
    lockPath: join(lab, "ingest.lock"),
    warehouseDbPath: join(lab, "warehouse.duckdb")
  };
}
