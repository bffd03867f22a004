// Parquet part writer thread: columns in (transferred typed arrays), a Parquet file out, written
// by parquet-wasm (Rust) from an Arrow table. Plain JavaScript: no TypeScript loader needed.
import {renameSync, writeFileSync} from "node:fs";
import {createRequire} from "node:module";
import {parentPort} from "node:worker_threads";
import * as arrow from "apache-arrow";

const require = createRequire(import.meta.url);
const pw = require("parquet-wasm/node");
let dictionaries;

const dict = (indices, values) =>
  arrow.makeVector(arrow.makeData({type: new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), length: indices.length, nullCount: 0, data: indices, dictionary: values}));

parentPort.on("message", (message) => {
  if (message.type === "init") {
    dictionaries = Object.fromEntries(Object.entries(message.dictionaries).map(([k, v]) => [k, arrow.vectorFromArray(v, new arrow.Utf8())]));
    return;
  }
  const {id, path, n, meter, ts, usage, voltage, powerFactor, segment, pattern, outage} = message;
  try {
    const t0 = performance.now();
    const table = new arrow.Table({
      meter_id: dict(meter, dictionaries.meter_id),
      reading_ts: arrow.makeVector(arrow.makeData({type: new arrow.TimestampMicrosecond(), length: n, nullCount: 0, data: ts})),
      usage_kwh: arrow.makeVector(usage),
      voltage: arrow.makeVector(voltage),
      power_factor: arrow.makeVector(powerFactor),
      customer_segment: dict(segment, dictionaries.customer_segment),
      emission_pattern: dict(pattern, dictionaries.emission_pattern),
      is_outage: arrow.makeVector(arrow.makeData({type: new arrow.Bool(), length: n, nullCount: 0, data: outage}))
    });
    // Dictionary pages only for the labels; measurements and meter ids are plain-encoded, so a
    // part's memory depends on its rows, not on how many meters the fleet has.
    const properties = new pw.WriterPropertiesBuilder()
      .setCompression(pw.Compression.ZSTD)
      .setDictionaryEnabled(false)
      .setColumnDictionaryEnabled("customer_segment", true)
      .setColumnDictionaryEnabled("emission_pattern", true)
      .setStatisticsEnabled(pw.EnabledStatistics.None)
      .setColumnStatisticsEnabled("reading_ts", pw.EnabledStatistics.Chunk)
      .build();
    const t1 = performance.now();
    const ipc = arrow.tableToIPC(table, "stream");
    const t2 = performance.now();
    const wt = pw.Table.fromIPCStream(ipc);
    const t3 = performance.now();
    const bytes = pw.writeParquet(wt, properties);
    const t4 = performance.now();
    if (process.env.PW_TRACE) console.error(`part ${id}: table ${(t1-t0)|0} ipc ${(t2-t1)|0} from ${(t3-t2)|0} write ${(t4-t3)|0}`);
    writeFileSync(`${path}.tmp`, bytes);
    renameSync(`${path}.tmp`, path);
    parentPort.postMessage({id, rows: n, bytes: bytes.length});
  } catch (error) {
    parentPort.postMessage({id, error: String(error?.stack ?? error)});
  }
});
