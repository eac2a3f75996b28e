"""The peers of `iterable`'s PostgreSQL road, each in a process of its own, printing
the rows it saw on its last line (for benches/databases.sh).

    python db_peers.py cx-arrow URL TABLE            connectorx to an Arrow table (postgresql:// or mysql://)
    python db_peers.py cx-parquet URL TABLE OUT      connectorx to Arrow, then Parquet
    python db_peers.py iterabledata-read URL TABLE   iterabledata's postgres source
    python db_peers.py iterabledata-write CSV URL TABLE   iterabledata's to_db
"""
import sys


def main():
    what, args = sys.argv[1], sys.argv[2:]
    if what in ("cx-arrow", "cx-parquet"):
        import connectorx as cx

        table = cx.read_sql(args[0], f"SELECT * FROM {args[1]}", return_type="arrow")
        if what == "cx-parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, args[2], compression="zstd")
        print(table.num_rows)
    elif what == "iterabledata-read":
        from iterable import open_iterable

        n = 0
        with open_iterable(args[0], engine="postgres", iterableargs={"query": args[1]}) as src:
            for _ in src:
                n += 1
        print(n)
    elif what == "iterabledata-write":
        from iterable import ingest

        result = ingest.to_db(args[0], db_url=args[1], table=args[2], dbtype="postgresql", create_table=True)
        print(result.rows_inserted)
    else:
        raise SystemExit(f"unknown peer {what}")


main()
