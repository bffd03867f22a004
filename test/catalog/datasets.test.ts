/**
 * The dataset convention in the catalog: every published row carries its dataset, the same bytes
 * in two datasets are processed once each, a derivation runs per dataset and reruns only for the
 * dataset whose files changed, and a dataset.json reaches plugins and derivations.
 */
import {rmSync} from "node:fs";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {ingest} from "../../src/lib/catalog/ingest.js";
import {readManifest} from "../../src/lib/catalog/warehouse.js";
import {datasetOf, OptionReader, parseDatasetOptions, readDatasetFolder} from "../../src/lib/core/dataset.js";
import {rejectMostlyBadFile} from "../../src/lib/core/errors.js";
import {datasetTotal} from "./fixtures/dataset-total.js";
import {makeProject, pluginTypes} from "./helpers.js";

describe("the dataset convention", () => {
  test("a file's dataset is its folder under the pipeline; loose files form `default`", () => {
    const pipelines = ["kpi", "meters"];
    expect(datasetOf({relPath: "kpi/shop/2024/jan.csv", pipelines})).toEqual({
      pipeline: "kpi",
      name: "shop",
      folder: "kpi/shop"
    });
    expect(datasetOf({relPath: "kpi/jan.csv", pipelines})).toEqual({pipeline: "kpi", name: "default", folder: "kpi"});
    expect(datasetOf({relPath: "samples/air.csv", pipelines})).toEqual({name: "samples", folder: "samples"});
    expect(datasetOf({relPath: "orders.csv", pipelines})).toEqual({name: "default", folder: ""});
  });

  test("dataset.json: bad JSON names line and column; unknown keys and bad values name the file and key", () => {
    expect(() =>
      parseDatasetOptions({text: '{\n  "timezone": "UTC",\n}', file: "datasets/kpi/shop/dataset.json"})
    ).toThrow(/^datasets\/kpi\/shop\/dataset\.json:3:1: not valid JSON/);
    expect(() => parseDatasetOptions({text: "[1]", file: "d.json"})).toThrow(
      "d.json: dataset.json must hold one JSON object"
    );
    const reader = new OptionReader({
      options: {timezon: "UTC", days: -2},
      optionsFile: "datasets/kpi/shop/dataset.json"
    });
    expect(() => reader.number("days", {default: 7, min: 1})).toThrow(
      "datasets/kpi/shop/dataset.json:days: -2 is below the minimum 1"
    );
    const typo = new OptionReader({options: {timezon: "UTC"}, optionsFile: "datasets/kpi/shop/dataset.json"});
    expect(typo.string("timezone", {default: "UTC"})).toBe("UTC");
    expect(() => typo.finish()).toThrow(
      "datasets/kpi/shop/dataset.json:timezon: unknown option (hint: known: timezone)"
    );
    const bad = new OptionReader({options: {holidays: 3}, optionsFile: "x/dataset.json"});
    expect(() => bad.string("holidays", {default: "none"})).toThrow(
      "x/dataset.json:holidays: expected a string, found 3"
    );
  });

  test("a file that yields no good row, or loses more than half, is rejected naming the first reasons", () => {
    expect(() => rejectMostlyBadFile({file: "a.csv", kept: 5, quarantined: 5, firstReasons: []})).not.toThrow();
    expect(() =>
      rejectMostlyBadFile({file: "a.csv", kept: 4, quarantined: 6, firstReasons: ["line 2, column ts: not a time"]})
    ).toThrow("a.csv: 6 of 10 rows set aside, more than half: line 2, column ts: not a time");
    expect(() => rejectMostlyBadFile({file: "a.csv", kept: 0, quarantined: 0, firstReasons: []})).toThrow(
      "a.csv: no good row (the file holds no rows)"
    );
  });

  test("lab run --dataset reads a folder's files and options", () => {
    const p = makeProject();
    p.write("shop/dataset.json", '{"label": "north"}');
    p.write("shop/b.csv", "x\n");
    p.write("shop/sub/a.csv", "x\n");
    const {dataset, files} = readDatasetFolder({dir: join(p.dir, "shop"), pipeline: "kpi"});
    expect(dataset).toMatchObject({pipeline: "kpi", name: "shop", options: {label: "north"}});
    expect(files.map((f) => f.slice(p.dir.length))).toEqual(["/shop/b.csv", "/shop/sub/a.csv"]);
  });
});

describe("datasets in the catalog", () => {
  const builtins = {plugins: [], derivations: [datasetTotal], routing: [], pipelines: ["shop"]};
  const run = (p: ReturnType<typeof makeProject>, lines: string[] = []) =>
    ingest({
      paths: p.paths,
      config: p.config,
      builtins,
      output: {write: () => {}, isTTY: false},
      log: (l) => lines.push(l)
    });

  test("rows carry their dataset; a derivation runs per dataset, and only for the dataset whose files changed", async () => {
    const p = makeProject();
    p.write("datasets/shop/north/jan.csv", "day,amount\n2024-01-01,10\n2024-01-02,12\n");
    p.write("datasets/shop/south/jan.csv", "day,amount\n2024-01-01,100\n");
    p.write("datasets/shop/loose.csv", "day,amount\n2024-01-01,1\n");
    p.write("datasets/shop/north/dataset.json", '{"label": "the north shop"}');
    const lines: string[] = [];
    await run(p, lines);
    expect(
      await p.query(["raw_shop"], "SELECT dataset, sum(amount)::INT AS total FROM raw_shop GROUP BY 1 ORDER BY 1")
    ).toEqual([
      {dataset: "default", total: 1},
      {dataset: "north", total: 22},
      {dataset: "south", total: 100}
    ]);
    expect(await p.query(["shop_total"], "SELECT dataset, total, n, label FROM shop_total ORDER BY 1")).toEqual([
      {dataset: "default", total: 1, n: 1, label: "none"},
      {dataset: "north", total: 22, n: 2, label: "the north shop"},
      {dataset: "south", total: 100, n: 1, label: "none"}
    ]);
    expect(lines.filter((l) => l.includes("shop-total: deriving")).sort()).toEqual(
      ["  shop-total: deriving default", "  shop-total: deriving north", "  shop-total: deriving south"]
        .map((l) => l.trim())
        .sort()
    );
    expect(
      await p.query(
        ["catalog_datasets"],
        "SELECT pipeline, dataset, folder, simulated, files::INT AS files, options_file FROM catalog_datasets ORDER BY dataset"
      )
    ).toEqual([
      {pipeline: "shop", dataset: "default", folder: "shop", simulated: false, files: 1, options_file: null},
      {
        pipeline: "shop",
        dataset: "north",
        folder: "shop/north",
        simulated: false,
        files: 1,
        options_file: "datasets/shop/north/dataset.json"
      },
      {pipeline: "shop", dataset: "south", folder: "shop/south", simulated: false, files: 1, options_file: null}
    ]);

    // A new file in one dataset: that dataset alone is derived again.
    const before = readManifest(p.paths).derived!;
    lines.length = 0;
    p.write("datasets/shop/south/feb.csv", "day,amount\n2024-02-01,50\n");
    await run(p, lines);
    expect(lines.filter((l) => l.includes("shop-total: deriving"))).toEqual(["shop-total: deriving south"]);
    const after = readManifest(p.paths).derived!;
    expect(after["shop-total@shop/north"]).toEqual(before["shop-total@shop/north"]);
    expect(after["shop-total@shop/south"]!.dir).not.toBe(before["shop-total@shop/south"]!.dir);
    expect(await p.query(["shop_total"], "SELECT dataset, total FROM shop_total WHERE dataset = 'south'")).toEqual([
      {dataset: "south", total: 150}
    ]);

    // Editing a dataset.json reprocesses that dataset's files (and rederives it) only.
    lines.length = 0;
    p.write("datasets/shop/north/dataset.json", '{"label": "renamed"}');
    const summary = await run(p, lines);
    expect(summary.jobsCompleted).toBe(1);
    expect(lines.filter((l) => l.includes("shop-total: deriving"))).toEqual(["shop-total: deriving north"]);
    expect(await p.query(["shop_total"], "SELECT label FROM shop_total WHERE dataset = 'north'")).toEqual([
      {label: "renamed"}
    ]);

    // A dataset whose files are all gone leaves the derived topic too.
    rmSync(join(p.dir, "datasets/shop/south"), {recursive: true});
    await run(p);
    expect(await p.query(["shop_total"], "SELECT dataset FROM shop_total ORDER BY 1")).toEqual([
      {dataset: "default"},
      {dataset: "north"}
    ]);
  }, 120_000);

  test("the same bytes in two datasets give both datasets' rows; deleting one retracts exactly its own", async () => {
    const p = makeProject();
    p.write("datasets/a/x.csv", "v\n1\n2\n");
    p.write("datasets/b/x.csv", "v\n1\n2\n");
    await run(p);
    expect(await p.query(["raw_a"], "SELECT count(*)::INT AS n FROM raw_a")).toEqual([{n: 2}]);
    expect(await p.query(["raw_b"], "SELECT dataset, count(*)::INT AS n FROM raw_b GROUP BY 1")).toEqual([
      {dataset: "b", n: 2}
    ]);
    rmSync(join(p.dir, "datasets/a/x.csv"));
    await run(p);
    expect(readManifest(p.paths).topics.raw_a?.files ?? []).toEqual([]);
    expect(await p.query(["raw_b"], "SELECT count(*)::INT AS n FROM raw_b")).toEqual([{n: 2}]);
  }, 60_000);

  test("the same bytes at two paths of one dataset give both path-dependent tables; deleting one path retracts exactly its own rows", async () => {
    const p = makeProject({
      routing: [
        {glob: "**/*.txt", tag: "text"},
        {glob: "**/*.csv", tag: "csv"}
      ]
    });
    // Its rows name the file they came from: by default every path is a route of its own.
    p.write(
      "plugins/lines.ts",
      `import {readFileSync} from "node:fs";
import type {Plugin} from ${JSON.stringify(pluginTypes)};
const plugin: Plugin = {
  name: "lines", tags: ["text"], topics: ["text_lines"],
  async execute(ctx, file) {
    const lines = readFileSync(file.path, "utf-8").split("\\n").filter(Boolean);
    await ctx.publish("text_lines", {columns: [{name: "file", type: "VARCHAR"}, {name: "line", type: "VARCHAR"}], rows: lines.map((line) => ({file: file.relPath, line}))});
  }
};
export default plugin;\n`
    );
    // Loose files at the root are one dataset (`default`); the generic plugin names each one's table after it.
    p.write("datasets/orders.csv", "v\n1\n2\n");
    p.write("datasets/sales.csv", "v\n1\n2\n");
    p.write("datasets/poems/a.txt", "roses\nviolets\n");
    p.write("datasets/poems/b.txt", "roses\nviolets\n");
    const first = await run(p);
    expect(first.scout.newVersions).toBe(2);
    expect(first.jobsCompleted).toBe(4);
    expect(await p.query(["raw_orders"], "SELECT dataset, sum(v)::INT AS s FROM raw_orders GROUP BY 1")).toEqual([
      {dataset: "default", s: 3}
    ]);
    expect(await p.query(["raw_sales"], "SELECT dataset, sum(v)::INT AS s FROM raw_sales GROUP BY 1")).toEqual([
      {dataset: "default", s: 3}
    ]);
    expect(
      await p.query(["text_lines"], "SELECT file, count(*)::INT AS n FROM text_lines GROUP BY 1 ORDER BY 1")
    ).toEqual([
      {file: "poems/a.txt", n: 2},
      {file: "poems/b.txt", n: 2}
    ]);
    rmSync(join(p.dir, "datasets/orders.csv"));
    rmSync(join(p.dir, "datasets/poems/a.txt"));
    const second = await run(p);
    expect(second.jobsQueued).toBe(0);
    expect(readManifest(p.paths).topics.raw_orders?.files ?? []).toEqual([]);
    expect(await p.query(["raw_sales"], "SELECT count(*)::INT AS n FROM raw_sales")).toEqual([{n: 2}]);
    expect(
      await p.query(["text_lines"], "SELECT file, count(*)::INT AS n FROM text_lines GROUP BY 1 ORDER BY 1")
    ).toEqual([{file: "poems/b.txt", n: 2}]);
    // The path comes back: its own route's outputs return without rerunning anything.
    p.write("datasets/orders.csv", "v\n1\n2\n");
    const third = await run(p);
    expect(third.jobsQueued).toBe(0);
    expect(await p.query(["raw_orders"], "SELECT count(*)::INT AS n FROM raw_orders")).toEqual([{n: 2}]);
  }, 90_000);

  test("a bad dataset.json fails that dataset's jobs naming the file; a plugin's rejected file keeps its good rows but fails", async () => {
    const p = makeProject({routing: [{glob: "**/*.txt", tag: "text"}]});
    p.write(
      "plugins/lines.ts",
      `import {readFileSync} from "node:fs";
import type {Plugin} from ${JSON.stringify(pluginTypes)};
import {rejectMostlyBadFile} from ${JSON.stringify(join(pluginTypes, "..", "..", "core", "errors.js"))};
const plugin: Plugin = {
  name: "lines", tags: ["text"], topics: ["text_lines"],
  async execute(ctx, file) {
    const lines = readFileSync(file.path, "utf-8").split("\\n").filter(Boolean);
    const good = lines.filter((l) => !l.startsWith("bad"));
    await ctx.publish("text_lines", {columns: [{name: "line", type: "VARCHAR"}, {name: "prefix", type: "VARCHAR"}], rows: good.map((line) => ({line, prefix: String(file.dataset.options.prefix ?? "")}))});
    rejectMostlyBadFile({file: file.relPath, kept: good.length, quarantined: lines.length - good.length, firstReasons: ["line 1: bad"]});
  }
};
export default plugin;\n`
    );
    p.write("datasets/poems/ok/dataset.json", '{"prefix": ">"}');
    p.write("datasets/poems/ok/a.txt", "roses\nviolets\n");
    p.write("datasets/poems/mostly-bad/a.txt", "roses\nbad one\nbad two\n");
    p.write("datasets/poems/broken/dataset.json", '{"prefix": ');
    p.write("datasets/poems/broken/a.txt", "tulips\n");
    const summary = await ingest({
      paths: p.paths,
      config: p.config,
      builtins: {plugins: [], derivations: [], routing: [], pipelines: ["poems"]},
      output: {write: () => {}, isTTY: false},
      log: () => {}
    });
    expect(summary.failures.map((f) => f.error).sort()).toEqual(
      [
        'datasets/poems/broken/dataset.json:1:12: not valid JSON: Unexpected end of JSON input (hint: dataset.json holds one JSON object of options, e.g. {"timezone": "Asia/Kolkata"})',
        "poems/mostly-bad/a.txt: 2 of 3 rows set aside, more than half: line 1: bad (hint: the good rows are kept; the quarantine table lists every row set aside with its reason)"
      ].sort()
    );
    expect(await p.query(["text_lines"], "SELECT dataset, line, prefix FROM text_lines ORDER BY 1, 2")).toEqual([
      {dataset: "mostly-bad", line: "roses", prefix: ""},
      {dataset: "ok", line: "roses", prefix: ">"},
      {dataset: "ok", line: "violets", prefix: ">"}
    ]);
  }, 120_000);
});
