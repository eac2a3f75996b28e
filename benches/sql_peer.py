"""duckdb and polars answer the query `iterable sql` is timed on in benches/sql.sh: the row
count and the mean of `amount` over a whole CSV file. Prints {"rows": n, "avg_amount": x}
as its last line, as ../shared/bench/run_peers.py's --cmd asks.

    python benches/sql_peer.py duckdb|polars PATH
"""

import json
import sys

engine, path = sys.argv[1], sys.argv[2]
if engine == "duckdb":
    import duckdb

    rows, avg = duckdb.execute(
        "SELECT count(*), avg(amount) FROM read_csv(?)", [path]
    ).fetchall()[0]
elif engine == "polars":
    import polars as pl

    frame = pl.scan_csv(path).select(pl.len(), pl.col("amount").mean()).collect()
    rows, avg = frame.row(0)
else:
    sys.exit(f"unknown engine {engine!r}: duckdb or polars")
print(json.dumps({"rows": rows, "avg_amount": avg}))
