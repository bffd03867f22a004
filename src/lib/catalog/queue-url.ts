/**
 * Where the PostgreSQL job queue is, if the project uses one. The URL holds a password, so it is a
 * secret: it comes from the environment (`LAB_QUEUE_URL`, or the variable `queue.urlEnv` names) or
 * from a file (`queue.urlFile` in lab.config.ts), never from the command line, where every user
 * of the machine can read it in the process list.
 */
import {existsSync} from "node:fs";
import {resolve} from "node:path";
import {LabError} from "../core/errors.js";
import {readTextFile} from "../core/text-file.js";

/** lab.config.ts `queue`: switches job running from local threads to the PostgreSQL queue. */
export interface QueueSetting {
  /** A file (relative to the project) holding the URL, `postgres://user:password@host/db`. */
  urlFile?: string;
  /** An environment variable holding it (LAB_QUEUE_URL is always read first). */
  urlEnv?: string;
  /** The PostgreSQL schema of the queue's tables (`lab_queue` by default). */
  schema?: string;
  /**
   * With jobs waiting and no worker alive, `lab ingest` says so after 10 s and gives up after this
   * long (5 minutes by default): its jobs stay queued in the catalog for the next ingest.
   */
  workerWaitMs?: number;
}

export const DEFAULT_QUEUE_SCHEMA = "lab_queue";

/** The queue's URL, or undefined for the embedded catalog (no LAB_QUEUE_URL and no `queue` setting). */
export function resolveQueueUrl({
  given,
  setting,
  env = process.env,
  projectDir
}: {
  /** A URL handed over in code (it wins), or false for local threads whatever the settings say. */
  given?: string | false;
  setting?: QueueSetting;
  env?: NodeJS.ProcessEnv;
  projectDir: string;
}): string | undefined {
  if (given !== undefined) return given || undefined;
  if (env.LAB_QUEUE_URL) return env.LAB_QUEUE_URL.trim();
  if (!setting) return undefined;
  if (setting.urlEnv && env[setting.urlEnv]) return env[setting.urlEnv]!.trim();
  if (setting.urlFile) {
    const path = resolve(projectDir, setting.urlFile);
    if (!existsSync(path))
      throw new LabError({
        file: "lab.config.ts",
        column: "queue.urlFile",
        reason: `${setting.urlFile} does not exist`,
        hint: "write the queue's URL (postgres://user:password@host/db) into it, readable by you alone (chmod 600)"
      });
    return readTextFile({path}).trim();
  }
  throw new LabError({
    file: "lab.config.ts",
    column: "queue",
    reason: `no queue URL: ${setting.urlEnv ? `$${setting.urlEnv} and ` : ""}$LAB_QUEUE_URL are unset and no urlFile is named`,
    hint: "export LAB_QUEUE_URL, or set queue.urlFile to a file holding the URL"
  });
}
