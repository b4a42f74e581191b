// The benchmark query in DuckDB, one thread: read_ndjson -> filter ->
// projection -> JSON lines written to /dev/null.   node duckdb_query.mjs FILE
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2].replaceAll("'", "''");
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run('SET threads = 1');
await connection.run(`
  COPY (
    SELECT ts, "user", url, bytes
    FROM read_ndjson('${file}', columns = {ts: 'TIMESTAMP', "user": 'VARCHAR', url: 'VARCHAR',
                                           status: 'INTEGER', bytes: 'BIGINT', ua: 'VARCHAR'})
    WHERE status = 200 AND bytes > 5000
  ) TO '/dev/null' (FORMAT json)`);
