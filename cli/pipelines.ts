import type {Pipeline} from "../src/lib/core/pipeline.js";
import {demoPipeline} from "../src/lib/demo/pipeline.js";

/** Every pipeline `lab run` knows, by name. New pipelines register here. */
export const pipelines: Pipeline[] = [demoPipeline];
