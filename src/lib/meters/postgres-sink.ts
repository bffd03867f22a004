import pg from "pg";
import {LabError} from "../core/errors.js";

export interface SilverRow {
  meter_id: string;
  reading_ts: string;
  usage_kwh: number;
  voltage: number;
  power_factor: number;
  customer_segment: string;
  emission_pattern: string;
  is_outage: boolean;
}

export interface PostgresSink {
  /** Upserts one commit's readings in one transaction; returns how many were new. */
  write(rows: SilverRow[], landedAt: Date): Promise<number>;
  close(): Promise<void>;
}

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new LabError({reason: `invalid PostgreSQL identifier "${name}"`});
  return `"${name}"`;
};

/**
 * The dual-write sink: silver readings upserted into PostgreSQL, idempotent on (meter_id,
 * reading_ts) — a re-delivered reading (at-least-once landing) changes nothing. The first
 * delivery wins, as in the Parquet silver.
 */
export async function openPostgresSink({
  url,
  schema = "public",
  table = "readings"
}: {
  url: string;
  schema?: string;
  table?: string;
}): Promise<PostgresSink> {
  const client = new pg.Client({connectionString: url});
  try {
    await client.connect();
  } catch (error) {
    throw new LabError({
      file: url.replace(/:[^:@/]*@/, ":***@"),
      reason: `cannot connect to PostgreSQL (${(error as Error).message})`,
      hint: "is the server running on that address, and the role allowed to log in?"
    });
  }
  const target = `${ident(schema)}.${ident(table)}`;
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${target} (
    meter_id text NOT NULL, reading_ts timestamptz NOT NULL, usage_kwh double precision, voltage double precision,
    power_factor double precision, customer_segment text, emission_pattern text, data_quality text NOT NULL,
    is_outage boolean NOT NULL, landed_at timestamptz NOT NULL, PRIMARY KEY (meter_id, reading_ts))`);
  return {
    async write(rows, landedAt) {
      if (!rows.length) return 0;
      let inserted = 0;
      await client.query("BEGIN");
      try {
        for (let i = 0; i < rows.length; i += 1000) {
          const chunk = rows.slice(i, i + 1000);
          const params: unknown[] = [];
          const values = chunk.map((r) => {
            const base = params.length;
            params.push(
              r.meter_id,
              r.reading_ts,
              r.usage_kwh,
              r.voltage,
              r.power_factor,
              r.customer_segment,
              r.emission_pattern,
              r.is_outage ? "OUTAGE" : "VALID",
              r.is_outage,
              landedAt
            );
            return `(${Array.from({length: 10}, (_, k) => `$${base + k + 1}`).join(", ")})`;
          });
          const result = await client.query(
            `INSERT INTO ${target} VALUES ${values.join(", ")} ON CONFLICT (meter_id, reading_ts) DO NOTHING`,
            params
          );
          inserted += result.rowCount ?? 0;
        }
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
      return inserted;
    },
    close: () => client.end()
  };
}
