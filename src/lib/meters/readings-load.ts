import type {Duck} from "../core/duckdb.js";
import {appendRows, createChunkAppender, type ChunkAppender} from "../core/parquet-write.js";
import {quoteIdent} from "../core/sql.js";
import type {MetersDatasetOptions} from "./dataset-options.js";
import {scanReadingsFile, type ReadingsReceiver, type ReadRow, type RejectedRow} from "./readings-file.js";
import {READINGS_ROW_COLUMNS} from "./tables.js";

const VALUE_COLUMNS = [
  {name: "file_no", type: "INTEGER"},
  {name: "line", type: "INTEGER"},
  {name: "meter_no", type: "INTEGER"},
  {name: "utc_ms", type: "DOUBLE"},
  {name: "later_ms", type: "DOUBLE"},
  {name: "kwh", type: "DOUBLE"},
  {name: "voltage", type: "DOUBLE"},
  {name: "segment_no", type: "INTEGER"},
  {name: "transformer_no", type: "INTEGER"}
] as const;

/**
 * Readings as typed-array columns, appended to DuckDB a vector at a time: texts (file, meter,
 * segment, transformer) become numbers through one dictionary, so a row costs no JavaScript
 * object and no per-cell call into DuckDB. Rejected rows (few) are appended as rows.
 */
class ColumnarReceiver implements ReadingsReceiver {
  private capacity = 16_384;
  private n = 0;
  private ints = Array.from({length: 5}, () => new Int32Array(this.capacity));
  private doubles = Array.from({length: 4}, () => new Float64Array(this.capacity));
  private rejects: RejectedRow[] = [];
  readonly labels = new Map<string, number>();
  fileNo = 0;
  rows = 0;

  constructor(
    private readonly duck: Duck,
    private readonly values: ChunkAppender,
    private readonly errorsTable: string
  ) {}

  label(text: string | null): number {
    if (text === null) return -1;
    let no = this.labels.get(text);
    if (no === undefined) this.labels.set(text, (no = this.labels.size));
    return no;
  }

  reading(row: ReadRow): void {
    if (this.n === this.capacity) this.grow();
    const i = this.n++;
    const [file, line, meter, segment, transformer] = this.ints as [
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array
    ];
    const [utc, later, kwh, voltage] = this.doubles as [Float64Array, Float64Array, Float64Array, Float64Array];
    file[i] = this.fileNo;
    line[i] = row.line;
    meter[i] = this.label(row.meterId);
    segment[i] = this.label(row.segment);
    transformer[i] = this.label(row.transformer);
    utc[i] = row.utcMs;
    later[i] = row.laterMs;
    kwh[i] = row.kwh;
    voltage[i] = row.voltage;
  }

  rejected(row: RejectedRow): void {
    this.rejects.push(row);
  }

  async flush(): Promise<void> {
    const [file, line, meter, segment, transformer] = this.ints as Int32Array[];
    const [utc, later, kwh, voltage] = this.doubles as Float64Array[];
    this.values.append([file!, line!, meter!, utc!, later!, kwh!, voltage!, segment!, transformer!], 0, this.n);
    this.rows += this.n;
    this.n = 0;
    if (this.rejects.length) {
      await appendRows({duck: this.duck, table: this.errorsTable, columns: READINGS_ROW_COLUMNS, rows: this.rejects});
      this.rows += this.rejects.length;
      this.rejects = [];
    }
  }

  private grow(): void {
    this.capacity *= 2;
    this.ints = this.ints.map((a) => Int32Array.from({length: this.capacity}, (_, i) => a[i] ?? 0));
    this.doubles = this.doubles.map((a) => Float64Array.from({length: this.capacity}, (_, i) => a[i] ?? 0));
  }
}

/**
 * Streams readings files into a DuckDB table of readings_rows (bronze; rows in no particular
 * order): memory holds one vector of rows and the dictionary of distinct texts, whatever the
 * files' size. Returns the data rows read.
 */
export async function loadReadingFiles({
  duck,
  files,
  options,
  table = "readings_rows",
  log = () => {}
}: {
  duck: Duck;
  files: {path: string; label: string}[];
  options: MetersDatasetOptions;
  table?: string;
  log?: (line: string) => void;
}): Promise<number> {
  const errors = `${table}_rejected`;
  await duck.run(
    `CREATE OR REPLACE TABLE ${quoteIdent(errors)} (${READINGS_ROW_COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ")})`
  );
  const values = await createChunkAppender({duck, table: `${table}_values`, columns: [...VALUE_COLUMNS]});
  const receiver = new ColumnarReceiver(duck, values, errors);
  const fileNames: string[] = [];
  try {
    for (const {path, label} of files) {
      receiver.fileNo = fileNames.push(label) - 1;
      const rows = await scanReadingsFile({path, file: label, options, receiver});
      log(`${label}: ${rows.toLocaleString("en-US")} rows`);
    }
  } finally {
    values.close();
  }
  await numberedNames({duck, table: "rr_labels", names: [...receiver.labels].map(([name, no]) => ({no, name}))});
  await numberedNames({duck, table: "rr_files", names: fileNames.map((name, no) => ({no, name}))});
  const time = (c: string) => `CASE WHEN isnan(v.${c}) THEN NULL ELSE make_timestamp((v.${c} * 1000)::BIGINT) END`;
  const num = (c: string) => `CASE WHEN isnan(v.${c}) THEN NULL ELSE v.${c} END`;
  await duck.run(`
    CREATE OR REPLACE TABLE ${quoteIdent(table)} AS
      SELECT f.name AS file, v.line::BIGINT AS line, m.name AS meter_id, ${time("utc_ms")} AS reading_ts, ${time("later_ms")} AS later_ts,
             ${num("kwh")} AS kwh, ${num("voltage")} AS voltage, s.name AS customer_segment, t.name AS transformer_id,
             NULL::VARCHAR AS error_column, NULL::VARCHAR AS error, NULL::VARCHAR AS raw
      FROM ${quoteIdent(`${table}_values`)} v JOIN rr_files f ON f.no = v.file_no JOIN rr_labels m ON m.no = v.meter_no
      LEFT JOIN rr_labels s ON s.no = v.segment_no LEFT JOIN rr_labels t ON t.no = v.transformer_no
      UNION ALL BY NAME SELECT * FROM ${quoteIdent(errors)};
    DROP TABLE ${quoteIdent(`${table}_values`)};
    DROP TABLE ${quoteIdent(errors)};`);
  return receiver.rows;
}

/** A temporary table of numbered names, for joining the numbers the scan stored back to text. */
async function numberedNames({duck, table, names}: {duck: Duck; table: string; names: {no: number; name: string}[]}) {
  await duck.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(table)} (no INTEGER, name VARCHAR)`);
  const columns = [
    {name: "no", type: "INTEGER"},
    {name: "name", type: "VARCHAR"}
  ];
  await appendRows({duck, table, columns, rows: names});
}
