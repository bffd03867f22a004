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
    // Dictionary pages only where they pay (ids and labels); measurements are plain-encoded.
    const properties = new pw.WriterPropertiesBuilder()
      .setCompression(pw.Compression.ZSTD)
      .setDictionaryEnabled(false)
      .setColumnDictionaryEnabled("meter_id", true)
      .setColumnDictionaryEnabled("customer_segment", true)
      .setColumnDictionaryEnabled("emission_pattern", true)
      .build();
    const bytes = pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, "stream")), properties);
    writeFileSync(`${path}.tmp`, bytes);
    renameSync(`${path}.tmp`, path);
    parentPort.postMessage({id, rows: n, bytes: bytes.length});
  } catch (error) {
    parentPort.postMessage({id, error: String(error?.stack ?? error)});
  }
});
