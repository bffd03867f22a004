/**
 * Plugin parameters from lab.config.ts (checked by the plugin, part of the job key) and the code
 * version every job's lineage records.
 */
import {describe, expect, test} from "vitest";
import {makeProject, pluginTypes} from "./helpers.js";

const scaled = `import {readFileSync} from "node:fs";
import type {Plugin} from ${JSON.stringify(pluginTypes)};
const plugin: Plugin<{factor: number; label: string}> = {
  name: "scaled", tags: ["n"], topics: ["scaled"],
  params: (o) => ({factor: o.number("factor", {default: 1, min: 1}), label: o.string("label", {default: "x"})}),
  async execute(ctx, file) {
    const n = Number(readFileSync(file.path, "utf-8"));
    await ctx.publish("scaled", {
      columns: [{name: "label", type: "VARCHAR"}, {name: "v", type: "INTEGER"}],
      rows: [{label: ctx.params.label, v: n * ctx.params.factor}]
    });
  }
};
export default plugin;
`;

describe("plugin parameters and the code version in lineage", () => {
  test("lab.config.ts plugins.<name> reaches ctx.params; changing it reprocesses; bad keys name lab.config.ts", async () => {
    const p = makeProject({routing: [{glob: "**/*.n", tag: "n"}]});
    p.write("plugins/scaled.ts", scaled);
    p.write("datasets/a.n", "5");
    p.write("datasets/b.n", "7");
    const first = await p.ingest({plugins: {scaled: {factor: 2}}});
    expect(first.jobsCompleted).toBe(2);
    expect(await p.query(["scaled"], "SELECT label, sum(v)::INT AS s FROM scaled GROUP BY 1")).toEqual([
      {label: "x", s: 24}
    ]);
    // Same parameters (keys in another order): nothing to do.
    expect((await p.ingest({plugins: {scaled: {factor: 2}}})).jobsQueued).toBe(0);
    const changed = await p.ingest({plugins: {scaled: {label: "y", factor: 3}}});
    expect(changed.jobsCompleted).toBe(2);
    expect(await p.query(["scaled"], "SELECT label, sum(v)::INT AS s FROM scaled GROUP BY 1")).toEqual([
      {label: "y", s: 36}
    ]);
    expect(await p.catalog("SELECT params_hash FROM plugins WHERE name = 'scaled'")).toEqual([
      {params_hash: expect.stringMatching(/^[0-9a-f]{16}$/)}
    ]);

    await expect(p.ingest({plugins: {scaled: {factr: 3}}})).rejects.toThrow(
      'lab.config.ts:plugins["scaled"]:factr: unknown option (hint: known: factor, label)'
    );
    await expect(p.ingest({plugins: {scaled: {factor: 0}}})).rejects.toThrow(
      'lab.config.ts:plugins["scaled"]:factor: 0 is below the minimum 1'
    );
    await expect(p.ingest({plugins: {"generic-table": {delim: ";"}}})).rejects.toThrow(
      'lab.config.ts:plugins["generic-table"]:delim: unknown option (hint: plugin generic-table takes no parameters'
    );
    await expect(p.ingest({plugins: {scaler: {factor: 2}}})).rejects.toThrow(
      /^lab\.config\.ts:plugins\["scaler"\]: no plugin has this name \(hint: known plugins: generic-table, .*\bscaled\)$/
    );
  }, 120_000);

  test("every committed job records the code version that ran it, shown in the catalog's snapshot", async () => {
    const p = makeProject();
    p.write("datasets/sales/jan.csv", "day,amount\n2024-01-01,10\n");
    await p.ingest();
    const jobs = await p.catalog("SELECT status, code_version FROM jobs");
    expect(jobs).toEqual([{status: "COMPLETED", code_version: expect.stringMatching(/^git:[0-9a-f]{40}(\+dirty)?$/)}]);
    expect(await p.query(["catalog_jobs"], "SELECT code_version FROM catalog_jobs")).toEqual([
      {code_version: jobs[0]!.code_version}
    ]);
  }, 60_000);
});
