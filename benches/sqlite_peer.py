"""Python's sqlite3 on the database `cargo bench --bench sqlite` leaves behind: the same
table read to its end (every row fetched), and its rows inserted into a new table in one
transaction. Prints the median of 10 runs of each, in ms, beside nothing else.

    cargo bench -p iterable-benches --bench sqlite && python3 benches/sqlite_peer.py
"""

import pathlib
import sqlite3
import statistics
import time

DB = pathlib.Path(__file__).resolve().parent.parent / "target" / "sqlite-bench" / "data.db"


def timed(work, runs=10):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def read():
    conn = sqlite3.connect(DB)
    n = sum(1 for _ in conn.execute("SELECT * FROM data"))
    conn.close()
    assert n == 100_000, n


def write():
    conn = sqlite3.connect(DB)
    rows = conn.execute("SELECT * FROM data").fetchall()
    columns = [d[0] for d in conn.execute("SELECT * FROM data LIMIT 0").description]
    start = time.perf_counter()
    with conn:
        conn.execute("DROP TABLE IF EXISTS py_copy")
        conn.execute("CREATE TABLE py_copy (%s)" % ", ".join('"%s"' % c for c in columns))
        conn.executemany(
            "INSERT INTO py_copy VALUES (%s)" % ", ".join("?" * len(columns)), rows
        )
    conn.close()
    return (time.perf_counter() - start) * 1000


if __name__ == "__main__":
    print(f"sqlite3 read/table: {timed(read):.1f} ms")
    print(f"sqlite3 write/table (insert only): {statistics.median(write() for _ in range(10)):.1f} ms")
