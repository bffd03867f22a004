// The assessor's report on each dataset's history (JSON, plus its Markdown rendering), by dataset.
import {queryPageData} from "../../lib/site/page-data.js";

const rows = await queryPageData({
  topics: ["market_assessment"],
  sql: "SELECT dataset, report::VARCHAR AS report, markdown FROM market_assessment ORDER BY dataset"
});
const byDataset = Object.fromEntries(
  rows.map((row) => [String(row.dataset), {report: JSON.parse(String(row.report)), markdown: row.markdown}])
);
process.stdout.write(JSON.stringify(byDataset));
