// The rows every pipeline set aside, per dataset: file, column and reason, with how many and on which lines.
import {emitPageParquet, quarantineSummarySql, quarantineTopics} from "../../lib/site/page-data.js";

const topics = quarantineTopics();
await emitPageParquet({topics: topics.map((t) => t.topic), sql: quarantineSummarySql({topics})});
