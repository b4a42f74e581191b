// The aggregation benchmark in DuckDB, one thread: read_ndjson -> 10-second
// time_bucket by key with count, sum, max -> JSON lines written to /dev/null.
//   node duckdb_metrics.mjs FILE
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2].replaceAll("'", "''");
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run('SET threads = 1');
await connection.run(`
  COPY (
    SELECT time_bucket(INTERVAL 10 seconds, ts) AS window_start, "key",
           count(*) AS count, sum(value) AS sum, max(value) AS max
    FROM read_ndjson('${file}', columns = {ts: 'TIMESTAMP', "key": 'VARCHAR', value: 'DOUBLE'})
    GROUP BY ALL
  ) TO '/dev/null' (FORMAT json)`);
