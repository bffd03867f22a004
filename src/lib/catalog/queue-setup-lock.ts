/**
 * One process at a time sets up the queue's tables in a schema. pg-boss creates a queue by
 * inserting its row and then attaching a partition with a foreign key to the queue table; two
 * processes creating the same queue at once (two `lab worker`s started together on a fresh
 * schema) deadlock there. A session advisory lock, keyed by the schema, makes them take turns.
 */
import pg from "pg";

export async function withQueueSetupLock<T>({url, schema}: {url: string; schema: string}, setUp: () => Promise<T>) {
  const client = new pg.Client({connectionString: url});
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext($1))", [`lab-queue-setup:${schema}`]);
    return await setUp();
  } finally {
    // Closing the session releases the lock.
    await client.end().catch(() => {});
  }
}
