// The assessor's report on the bundled history (JSON, plus its Markdown rendering).
import {queryWarehouse} from "../../lib/catalog/warehouse.js";

const [row] = await queryWarehouse({
  topics: ["market_assessment"],
  sql: "SELECT report::VARCHAR AS report, markdown FROM market_assessment LIMIT 1"
});
process.stdout.write(JSON.stringify(row ? {report: JSON.parse(String(row.report)), markdown: row.markdown} : null));
