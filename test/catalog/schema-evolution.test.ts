import {rmSync} from "node:fs";
import {join} from "node:path";
import {describe, expect, test} from "vitest";
import {makeProject, pluginTypes} from "./helpers.js";

/** A user plugin writing `text_lines`: at version 1 (n, line), at version 2 with a `length` column too. */
function linesPlugin({version, name = "lines"}: {version: number; name?: string}): string {
  const columns =
    version === 1
      ? `[{name: "n", type: "INTEGER"}, {name: "line", type: "VARCHAR"}]`
      : `[{name: "n", type: "INTEGER"}, {name: "line", type: "VARCHAR"}, {name: "length", type: "INTEGER"}]`;
  return `import {readFileSync} from "node:fs";
import type {Plugin} from ${JSON.stringify(pluginTypes)};
const plugin: Plugin = {
  name: ${JSON.stringify(name)}, tags: ["text"], topics: ["text_lines"], version: ${version},
  async execute(ctx, file) {
    const lines = readFileSync(file.path, "utf-8").split("\\n").filter(Boolean);
    await ctx.publish("text_lines", {columns: ${columns}, rows: lines.map((line, i) => ({n: i + 1, line, length: line.length}))});
  }
};
export default plugin;\n`;
}

describe("a topic's columns change with its plugin's version", () => {
  test("a new version that adds a column reprocesses every file and the view takes the new columns; an old warehouse needs no clearing", async () => {
    const p = makeProject({routing: [{glob: "**/*.txt", tag: "text"}]});
    p.write("plugins/lines.ts", linesPlugin({version: 1}));
    p.write("datasets/a/poem.txt", "roses\nviolets\n");
    p.write("datasets/b/song.txt", "la\n");
    expect((await p.ingest()).jobsCompleted).toBe(2);
    // A new file: this process has the old module cached under the old path.
    rmSync(join(p.dir, "plugins/lines.ts"));
    p.write("plugins/lines-v2.ts", linesPlugin({version: 2}));
    const summary = await p.ingest();
    expect(summary.jobsCompleted).toBe(2);
    expect(summary.jobsFailed).toBe(0);
    expect(await p.query(["text_lines"], "SELECT dataset, line, length FROM text_lines ORDER BY dataset, n")).toEqual([
      {dataset: "a", line: "roses", length: 5},
      {dataset: "a", line: "violets", length: 7},
      {dataset: "b", line: "la", length: 2}
    ]);
  });

  test("two plugins sharing a topic must agree on its columns: the second's other columns fail its job, naming the difference", async () => {
    const p = makeProject({routing: [{glob: "**/*.txt", tag: "text"}]});
    p.write("plugins/lines.ts", linesPlugin({version: 1}));
    p.write("plugins/longer.ts", linesPlugin({version: 2, name: "longer"}));
    p.write("datasets/poem.txt", "roses\n");
    const summary = await p.ingest();
    expect(summary.jobsFailed).toBe(1);
    const [failed] = await p.catalog("SELECT error FROM jobs WHERE status = 'FAILED'");
    expect(String(failed!.error)).toMatch(/schema of topic text_lines changed[\s\S]*length/);
  });
});
