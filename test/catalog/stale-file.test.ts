/**
 * A job re-checks its file's content hash before the plugin reads it: a file edited after the scan
 * fails the job as stale instead of crediting the new bytes to the scanned version, and the next
 * scan processes the new version.
 */
import {createHash} from "node:crypto";
import {utimesSync} from "node:fs";
import {describe, expect, test} from "vitest";
import {makeProject, pluginTypes} from "./helpers.js";

// Editing b.t while a.t's job runs: b.t was scanned, and changes before its own job starts.
const editingPlugin = `import {readFileSync, writeFileSync} from "node:fs";
import {dirname, join} from "node:path";
import type {Plugin} from ${JSON.stringify(pluginTypes)};
const plugin: Plugin = {
  name: "texts", tags: ["t"], topics: ["texts"],
  async execute(ctx, file) {
    if (file.relPath === "a.t") writeFileSync(join(dirname(file.path), "b.t"), "edited after the scan");
    const text = readFileSync(file.path, "utf-8");
    await ctx.publish("texts", {columns: [{name: "file", type: "VARCHAR"}, {name: "text", type: "VARCHAR"}], rows: [{file: file.relPath, text}]});
  }
};
export default plugin;
`;

describe("stale files", () => {
  test("a file edited between scan and job fails its job as stale; the next scan processes the new version", async () => {
    const p = makeProject({routing: [{glob: "**/*.t", tag: "t"}], workers: 1});
    p.write("plugins/texts.ts", editingPlugin);
    p.write("datasets/a.t", "a as scanned");
    const b = p.write("datasets/b.t", "b as scanned");
    const old = new Date(Date.now() - 30 * 86_400_000);
    utimesSync(b, old, old); // an old file runs last (priority by age)
    const first = await p.ingest();
    expect(first.jobsCompleted).toBe(1);
    expect(first.jobsRetried).toBe(0);
    expect(first.failures).toEqual([
      {
        path: "datasets/b.t",
        plugin: "texts",
        error: expect.stringMatching(
          /^datasets\/b\.t: the file changed since it was scanned \(content hash [0-9a-f]{12}…, scanned [0-9a-f]{12}…\)/
        )
      }
    ]);
    // Nothing of the edited bytes is credited to the scanned version.
    expect(await p.query(["texts"], "SELECT file, text FROM texts ORDER BY 1")).toEqual([
      {file: "a.t", text: "a as scanned"}
    ]);

    const second = await p.ingest();
    expect(second.scout.newVersions).toBe(1);
    expect(second.jobsCompleted).toBe(1);
    expect(second.failures).toEqual([]);
    expect(await p.query(["texts"], "SELECT file, text FROM texts ORDER BY 1")).toEqual([
      {file: "a.t", text: "a as scanned"},
      {file: "b.t", text: "edited after the scan"}
    ]);
    const sha = (text: string) => createHash("sha256").update(text).digest("hex");
    expect(
      await p.catalog(
        "SELECT v.content_hash, j.status FROM jobs j JOIN file_locations l USING (file_id) JOIN file_versions v ON v.file_version_id = j.file_version_id WHERE l.rel_path = 'b.t' ORDER BY j.job_id"
      )
    ).toEqual([
      {content_hash: sha("b as scanned"), status: "FAILED"},
      {content_hash: sha("edited after the scan"), status: "COMPLETED"}
    ]);
  }, 60_000);
});
