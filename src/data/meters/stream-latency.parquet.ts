// Latency of each landed reading in the build's short loopback stream run (feed → lander), per dataset.
import {emitPageParquet} from "../../lib/site/page-data.js";

await emitPageParquet({
  topics: ["stream_latency"],
  sql: "SELECT dataset, from_offset, to_offset, latency_ms FROM stream_latency ORDER BY dataset, from_offset"
});
