"""Read a tokumei release with the clients business users use (pyarrow, polars, duckdb)
and recompute its privacy claims from the Parquet file alone.

usage: check_release.py OUT_DIR
Exits non-zero with a message on the first claim that does not hold.
"""

import json
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow
import pyarrow.parquet as pq


def main(out_dir: str) -> None:
    out = Path(out_dir)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    path = out / report["output_file"]
    qi = report["quasi_identifiers"]
    k = report["k"]

    # pyarrow: schema, metadata, row count.
    table = pq.read_table(path)
    file_meta = pq.ParquetFile(path).metadata.metadata or {}
    meta = {key.decode(): value.decode() for key, value in file_meta.items()}
    assert meta["tokumei.release_id"] == report["release_id"], "release id in metadata"
    assert int(meta["tokumei.k"]) == k, "k in metadata"
    assert table.num_rows == report["rows_out"], "row count"
    for col in report["columns"]:
        if col["output"] is not None:
            field_meta = table.schema.field(col["output"]).metadata or {}
            assert field_meta.get(b"tokumei.role", b"").decode() == col["role"], f"field metadata of {col['output']}"
            assert field_meta.get(b"tokumei.processing", b"").decode() == col["detail"], f"processing of {col['output']}"
    dropped = [c["name"] for c in report["columns"] if c["output"] is None]
    for name in dropped:
        assert name not in table.column_names, f"dropped column {name} present"

    # polars: smallest equivalence class over the quasi-identifiers.
    df = pl.read_parquet(path)
    sizes = df.group_by(qi).len()
    smallest = sizes["len"].min()
    assert smallest >= k, f"polars: smallest class {smallest} < k {k}"
    assert smallest == report["k_achieved"], "achieved k"

    # duckdb: distinct l-diversity of each sensitive column that requires it.
    con = duckdb.connect()
    keys = ", ".join(f'"{c}"' for c in qi)
    for entry in report["l_diversity"]:
        if entry["required"] is None or report.get("l_model", "distinct") != "distinct":
            continue
        col = entry["column"]
        worst = con.execute(
            f'SELECT min(d) FROM (SELECT count(DISTINCT "{col}") AS d FROM read_parquet(?) GROUP BY {keys})',
            [str(path)],
        ).fetchone()[0]
        assert worst >= entry["required"], f"duckdb: {col} has a class with {worst} distinct values"
        assert worst == entry["achieved"], f"achieved l of {col}"
    rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0]
    assert rows == report["rows_out"], "duckdb row count"
    print(f"ok: {rows} rows, k={smallest}, read by pyarrow {pyarrow.__version__}, polars {pl.__version__}, duckdb {duckdb.__version__}")


if __name__ == "__main__":
    main(sys.argv[1])
