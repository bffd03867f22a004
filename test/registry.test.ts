/**
 * The registry's promise: each pipeline's two faces — `lab run NAME` (the command line) and the
 * catalog (its plugins at ingest, then its derivations) — give the same tables with the same
 * columns on the same input, every table in the warehouse is declared by someone, and each
 * declaration matches what the code writes. The input is the bundled datasets/ with every
 * simulation shrunk to seconds.
 */
import {commandLineDataset} from "../src/lib/core/dataset.js";
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, relative} from "node:path";
import {beforeAll, describe, expect, test} from "vitest";
import {loadConfig} from "../src/lib/catalog/config.js";
import {readManifest} from "../src/lib/catalog/warehouse.js";
import {pipelineSummaries} from "../src/lib/home/pipeline-summaries.js";
import {catalogBuiltins, declaredTables, domains, tableOwner} from "../src/lib/registry.js";
import {makeProject, pluginTypes, repoDir, type TestProject} from "./catalog/helpers.js";

const LINEAGE = new Set(["_job_id", "_file_version_id", "_file_id"]);
type Schema = {name: string; type: string}[];
const withoutLineage = (schema: Schema) => schema.filter((c) => !LINEAGE.has(c.name));

/** Smaller runs of the bundled specs: the same fields, sizes cut so each runs in seconds. */
const SHRINK: Record<string, Record<string, unknown>> = {
  "demo/simulated/random-walks.sim.json": {walks: 2, steps: 50},
  "effluent/simulated/plant.sim.json": {days: 5},
  "kpi/simulated/business.sim.json": {days: 120},
  "market/simulated/btcusdt.sim.json": {minutes: 0.5},
  "meters/simulated/quick-demo.sim.json": {
    meters: 20,
    days: 2,
    patterns: ["UNIFORM", "DEGRADED"],
    stream: {ratePerSecond: 500, seconds: 1}
  }
};

function copyDatasets(into: string): string[] {
  const root = join(repoDir, "datasets");
  const files: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else files.push(relative(root, path));
    }
  };
  visit(root);
  for (const rel of files) {
    const target = join(into, "datasets", rel);
    mkdirSync(join(target, ".."), {recursive: true});
    if (rel.endsWith(".sim.json")) {
      expect(SHRINK[rel], `a shrunk size for the bundled spec ${rel}`).toBeDefined();
      const spec = JSON.parse(readFileSync(join(root, rel), "utf-8")) as Record<string, unknown>;
      writeFileSync(target, JSON.stringify({...spec, ...SHRINK[rel]}));
    } else copyFileSync(join(root, rel), target);
  }
  return files;
}

describe("the registry", () => {
  let p: TestProject;

  beforeAll(async () => {
    const config = await loadConfig({projectDir: repoDir, builtinRouting: catalogBuiltins().routing});
    p = makeProject({routing: config.routing, sourceRoots: ["datasets"]});
    copyDatasets(p.dir);
    // The bundled user plugin, importing the plugin types from this checkout.
    p.write(
      "plugins/word-counts.ts",
      readFileSync(join(repoDir, "plugins", "word-counts.ts"), "utf-8").replace(
        '"../src/lib/catalog/plugin.js"',
        JSON.stringify(pluginTypes)
      )
    );
    const summary = await p.ingest();
    expect(summary.failures).toEqual([]);
    expect(summary.brokenPlugins).toEqual([]);
  }, 300_000);

  test("each domain declares its plugins' topics and derivations' outputs, and exports its plugins by name", async () => {
    const names = domains.flatMap((d) => d.tables.map((t) => t.name));
    expect(names.length, "a table is declared by one domain only").toBe(new Set(names).size);
    for (const d of domains) {
      const declared = new Set(d.tables.map((t) => t.name));
      const module = (await import(d.module)) as Record<string, unknown>;
      for (const [exportName, plugin] of Object.entries(d.plugins)) {
        expect(module[exportName], `${d.module} exports ${exportName}`).toBe(plugin);
        for (const topic of plugin.topics) expect(declared, `${d.name} declares ${topic}`).toContain(topic);
      }
      for (const derivation of d.derivations)
        for (const topic of derivation.outputs) expect(declared, `${d.name} declares ${topic}`).toContain(topic);
    }
  });

  test("every warehouse topic from the bundled datasets is declared, and the home page names its pipeline", async () => {
    const manifest = readManifest(p.paths);
    const topics = Object.keys(manifest.topics);
    const userPlugins = [{name: "word-counts", topics: ["note_words"]}];
    expect(topics.filter((t) => !tableOwner({table: t, userPlugins}))).toEqual([]);
    // A domain's table in the warehouse has the columns it declares (plus its dataset and the catalog's lineage).
    for (const {name, columns} of declaredTables())
      if (manifest.topics[name])
        expect(withoutLineage(manifest.topics[name].schema), name).toEqual([
          ...columns,
          {name: "dataset", type: "VARCHAR"}
        ]);
    const home = await pipelineSummaries({paths: p.paths});
    // Each pipeline lists its datasets: the bundled simulations, each in its own `simulated` folder.
    expect(
      home.pipelines
        .filter((x) => x.name !== "catalog")
        .map((x) => [x.name, x.datasets.map((d) => `${d.dataset}:${d.simulated}`)])
    ).toEqual(domains.map((d) => [d.name, ["simulated:true"]]));
    expect(home.undeclared).toEqual([]);
    const labels = new Map(home.pipelines.flatMap((x) => x.tables.map((t) => [t.name, t.pipeline])));
    for (const d of domains) for (const t of d.tables) expect(labels.get(t.name)).toBe(d.title);
    expect(labels.get("raw_samples")).toBe("Ingestion catalog");
    expect(labels.get("note_words")).toBe("plugin word-counts");
  });

  for (const domain of domains) {
    test(`${domain.name}: the command line and the catalog give the same tables with the same columns`, async () => {
      const spec = Object.keys(SHRINK).find((rel) => rel.startsWith(`${domain.name}/`))!;
      const outDir = mkdtempSync(join(tmpdir(), `registry-${domain.name}-`));
      const result = await domain.pipeline.run({
        files: [join(p.dir, "datasets", spec)],
        dataset: commandLineDataset(domain.name),
        outDir,
        seed: 1,
        flags: {},
        log: () => {}
      });
      const manifest = readManifest(p.paths);
      const cli = Object.fromEntries(
        await Promise.all(
          result.tables.map(async (t) => {
            const {parquetSchema} = await import("../src/lib/core/parquet-read.js");
            return [t.name, await parquetSchema({path: t.path})] as const;
          })
        )
      );
      const catalogTopics = domain.tables.map((t) => t.name).filter((t) => manifest.topics[t]);
      // The catalog's `cetp_live_readings` comes from MPCB exports, not from a simulation spec.
      expect(Object.keys(cli).sort()).toEqual(catalogTopics.filter((t) => t !== "cetp_live_readings").sort());
      for (const [name, schema] of Object.entries(cli)) {
        expect(withoutLineage(manifest.topics[name]!.schema), `catalog ${name}`).toEqual(schema);
        // The sink adds the dataset column after the declared ones.
        const declared = domain.tables.find((t) => t.name === name)!.columns;
        expect(schema, `declared columns of ${name}`).toEqual([...declared, {name: "dataset", type: "VARCHAR"}]);
      }
    }, 120_000);
  }
});
