// plugins/word-counts.ts — route its files in lab.config.ts: {glob: "notes/**/*.txt", tag: "notes"}
import {readFileSync} from "node:fs";
import type {Plugin} from "../src/lib/catalog/plugin.js";

const plugin: Plugin = {
  name: "word-counts",
  tags: ["notes"],
  topics: ["note_words"],
  async execute(ctx, file) {
    const words =
      readFileSync(file.path, "utf-8")
        .toLowerCase()
        .match(/[a-z']+/g) ?? [];
    const counts = new Map<string, number>();
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    await ctx.publish("note_words", {
      columns: [
        {name: "word", type: "VARCHAR"},
        {name: "n", type: "INTEGER"}
      ],
      rows: [...counts].map(([word, n]) => ({word, n}))
    });
  }
};
export default plugin;
