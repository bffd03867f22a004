// Latency of each landed reading in the build's short loopback stream run (feed → lander).
import {emitWarehouseParquet} from "../../lib/catalog/warehouse.js";

await emitWarehouseParquet({
  topics: ["stream_latency"],
  sql: "SELECT from_offset, to_offset, latency_ms FROM stream_latency ORDER BY from_offset"
});
