import type {TableSink} from "../core/table-sink.js";
import type {PluginContext} from "./plugin.js";

/** A plugin job as a table sink: each table becomes a topic (with the catalog's lineage columns). */
export function pluginSink(ctx: PluginContext): TableSink {
  return {
    write: (table, data) => ctx.publish(table, data),
    writeQuery: (table, sql) => ctx.publishQuery(table, sql)
  };
}
