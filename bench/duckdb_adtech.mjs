// The ad-tech join benchmark in DuckDB, one thread, as a batch query over the
// same files: impressions LEFT JOIN clicks on the ad within 2 minutes after
// the impression -> JSON lines written to /dev/null.
//   node duckdb_adtech.mjs IMPRESSIONS_DIR CLICKS_DIR
import { DuckDBInstance } from '@duckdb/node-api';

const [impressions, clicks] = process.argv.slice(2).map((d) => d.replaceAll("'", "''"));
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run('SET threads = 1');
await connection.run(`
  COPY (
    SELECT i.ad_id, i.imp_time, i.campaign, c.click_ad_id, c.click_time
    FROM read_ndjson('${impressions}/*.json', columns = {ad_id: 'INTEGER', imp_time: 'TIMESTAMP', campaign: 'VARCHAR'}) i
    LEFT JOIN read_ndjson('${clicks}/*.json', columns = {click_ad_id: 'INTEGER', click_time: 'TIMESTAMP'}) c
      ON i.ad_id = c.click_ad_id AND c.click_time BETWEEN i.imp_time AND i.imp_time + INTERVAL 2 MINUTE
  ) TO '/dev/null' (FORMAT json)`);
