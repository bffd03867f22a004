import {expect, test} from "vitest";
import {declaredTables} from "../../src/lib/registry.js";
import {pageTables} from "../../src/lib/site/page-tables.js";

test("the loaders' table list is the registry's: every declared table, with its pipeline", () => {
  const fromPages = pageTables.flatMap(({pipeline, tables}) => tables.map((t) => `${pipeline}.${t.name}`));
  expect(fromPages).toEqual(declaredTables().map((t) => `${t.domain.name}.${t.name}`));
});
