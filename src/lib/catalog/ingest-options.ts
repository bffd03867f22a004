import type {ProgressOutput} from "../core/progress.js";
import type {CatalogBuiltins} from "./builtins.js";
import type {LabConfig} from "./config.js";
import type {IngestSummary} from "./ingest-summary.js";
import type {LabPaths} from "./paths.js";

/** What `ingest()` takes (src/lib/catalog/ingest.ts). */
export interface IngestOptions {
  projectDir?: string;
  paths?: LabPaths;
  /** Defaults to the project's lab.config.ts, its routing around `builtins.routing` (see loadConfig). */
  config?: LabConfig;
  /** The pipelines' plugins, derivations and routing (src/lib/registry.ts `catalogBuiltins()`). */
  builtins?: CatalogBuiltins;
  /** Keep watching the source roots and process new files as they land, until `signal` aborts. */
  watch?: boolean;
  signal?: AbortSignal;
  /** Progress bar (terminal) or periodic lines (CI); stderr by default. */
  output?: ProgressOutput;
  /** Plain log lines (summaries, errors); stdout by default. */
  log?: (line: string) => void;
  now?: () => Date;
  /**
   * Run jobs through this PostgreSQL queue (served by `lab worker`); by default LAB_QUEUE_URL or
   * lab.config.ts `queue`, else local worker threads (see queue-url.ts); false: local threads.
   */
  queueUrl?: string | false;
  /** Called after every pass (watch mode calls it once per batch of changes). */
  onPass?: (summary: IngestSummary) => void;
}
