// Parquet part writer thread: columns in (transferred typed arrays), a Parquet file out, written
// by parquet-wasm (Rust) from an Arrow table. Plain JavaScript: no TypeScript loader needed.
import {renameSync, writeFileSync} from "node:fs";
import {createRequire} from "node:module";
import {parentPort} from "node:worker_threads";

import * as arrow from "apache-arrow";

const require = createRequire(import.meta.url);
const pw = require("parquet-wasm/node");
let dictionaries;
// Meter ids as one UTF-8 byte blob with offsets, so a part's id column is built by copying bytes:
// no dictionary of the whole fleet travels with every part.
let idBytes, idOffsets;

function plainIds(indices) {
  const n = indices.length;
  const offsets = new Int32Array(n + 1);
  let size = 0;
  for (let i = 0; i < n; i++) {
    const m = indices[i];
    size += idOffsets[m + 1] - idOffsets[m];
    offsets[i + 1] = size;
  }
  const data = new Uint8Array(size);
  for (let i = 0; i < n; i++) {
    const m = indices[i];
    data.set(idBytes.subarray(idOffsets[m], idOffsets[m + 1]), offsets[i]);
  }
  return arrow.makeVector(
    arrow.makeData({type: new arrow.Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data})
  );
}

const dict = (indices, values) =>
  arrow.makeVector(
    arrow.makeData({
      type: new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()),
      length: indices.length,
      nullCount: 0,
      data: indices,
      dictionary: values
    })
  );

parentPort.on("message", (message) => {
  if (message.type === "init") {
    dictionaries = Object.fromEntries(
      Object.entries(message.dictionaries).map(([k, v]) => [k, arrow.vectorFromArray(v, new arrow.Utf8())])
    );
    ({bytes: idBytes, offsets: idOffsets} = message.ids);
    return;
  }
  const {id, path, n, meter, ts, usage, voltage, powerFactor, segment, pattern, outage} = message;
  try {
    const table = new arrow.Table({
      meter_id: plainIds(meter),
      reading_ts: arrow.makeVector(
        arrow.makeData({type: new arrow.TimestampMicrosecond(), length: n, nullCount: 0, data: ts})
      ),
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
    const ipc = arrow.tableToIPC(table, "stream");
    const bytes = pw.writeParquet(pw.Table.fromIPCStream(ipc), properties);
    writeFileSync(`${path}.tmp`, bytes);
    renameSync(`${path}.tmp`, path);
    // The column buffers go back to the generator to be filled again: no fresh allocation per
    // part on either side, so memory stays flat however many parts a run writes.
    const columns = [meter, ts, usage, voltage, powerFactor, segment, pattern, outage];
    parentPort.postMessage(
      {id, rows: n, bytes: bytes.length, columns},
      columns.map((c) => c.buffer)
    );
  } catch (error) {
    parentPort.postMessage({id, error: String(error?.stack ?? error)});
  }
});
