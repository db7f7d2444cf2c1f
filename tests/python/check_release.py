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
    key = set(report["quasi_identifiers"])
    for col in report["columns"]:
        if col["output"] is not None:
            field_meta = table.schema.field(col["output"]).metadata or {}
            role = field_meta.get(b"tokumei.role", b"").decode()
            assert role == col["release_role"], f"field metadata of {col['output']}"
            # The release role agrees with the k-anonymity key the report lists.
            assert (role == "quasi_identifier") == (col["output"] in key), f"role of {col['output']} vs the key"
            assert field_meta.get(b"tokumei.processing", b"").decode() == col["detail"], f"processing of {col['output']}"
        for bound in col.get("bounds") or []:
            bmeta = table.schema.field(bound).metadata or {}
            assert bmeta.get(b"tokumei.bound_of", b"").decode() == col["output"], f"bound {bound}"
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
    # Banded columns sort and filter numerically through their bounds.
    for col in report["columns"]:
        if not col.get("bounds"):
            continue
        lo, hi = col["bounds"]
        bad = con.execute(
            f'SELECT count(*) FROM read_parquet(?) WHERE "{lo}" > "{hi}"', [str(path)]
        ).fetchone()[0]
        assert bad == 0, f"{col['output']}: a lower bound above its upper bound"
        ordered = df.sort(lo, nulls_last=True)[col["output"]].unique(maintain_order=True).to_list()
        mins = df.sort(lo, nulls_last=True)[lo].unique(maintain_order=True).to_list()
        assert mins == sorted(mins, key=lambda v: (v is None, v)), f"{col['output']} does not sort by its bound"
        assert len(ordered) >= 1
    rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0]
    assert rows == report["rows_out"], "duckdb row count"
    print(f"ok: {rows} rows, k={smallest}, read by pyarrow {pyarrow.__version__}, polars {pl.__version__}, duckdb {duckdb.__version__}")


if __name__ == "__main__":
    main(sys.argv[1])
