import type {BrokenPlugin} from "./plugin-loader.js";
import type {ScoutResult} from "./scout.js";

/** What one ingest pass did: the scan, the jobs and their outcomes, the rows per topic. */
export interface IngestSummary {
  scout: ScoutResult;
  jobsQueued: number;
  jobsCompleted: number;
  jobsFailed: number;
  jobsRetried: number;
  rowsByTopic: Record<string, number>;
  failures: {path: string; plugin: string; error: string}[];
  brokenPlugins: BrokenPlugin[];
  seconds: number;
}
