/**
 * Every table a pipeline declares, by pipeline, read from the domains' `tables.ts` alone. Loaders
 * import this rather than the registry: a loader's cached output is rerun whenever a module it
 * imports changes (tools/loader-cache.ts), and the registry pulls in every pipeline's code.
 * test/site/page-tables.test.ts holds it equal to the registry's `declaredTables()`.
 */
import type {TableDeclaration} from "../domain.js";
import {demoTables} from "../demo/tables.js";
import {effluentTables} from "../effluent/tables.js";
import {kpiTables} from "../kpi/tables.js";
import {marketTables} from "../market/tables.js";
import {metersTables} from "../meters/tables.js";

export const pageTables: {pipeline: string; tables: TableDeclaration[]}[] = [
  {pipeline: "demo", tables: demoTables},
  {pipeline: "effluent", tables: effluentTables},
  {pipeline: "meters", tables: metersTables},
  {pipeline: "kpi", tables: kpiTables},
  {pipeline: "market", tables: marketTables}
];

/** A declared table with the pipeline that declares it, or undefined. */
export function pageTable({name}: {name: string}): (TableDeclaration & {pipeline: string}) | undefined {
  for (const {pipeline, tables} of pageTables) {
    const table = tables.find((t) => t.name === name);
    if (table) return {...table, pipeline};
  }
  return undefined;
}
