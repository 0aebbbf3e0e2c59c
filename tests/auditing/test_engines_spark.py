"""Spark SQL runs the same compiled query as DuckDB and gets the same table; and on a generated
200,000-item manifest all three engines agree. One local Spark session serves the module."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from test_differential import (  # type: ignore[import-not-found]
    POLICIES,
    RandomPicker,
    assert_same,
    make_manifest_rows,
    write_rows,
)

from aiconsent.auditing import duckdb_engine, python_engine, spark_engine
from aiconsent.auditing.question import AuditQuestion
from aiconsent.engine.policy import builtin
from aiconsent.manifests.synthetic import synthetic_manifest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = spark_engine.local_session()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


QUESTIONS = [
    AuditQuestion(("genai-training",), None, datetime(2024, 10, 28, tzinfo=UTC), POLICIES[0]),
    AuditQuestion(("ai-use", "search"), "DE", datetime(2025, 8, 24, 22, tzinfo=UTC), POLICIES[3]),
    AuditQuestion(("tdm",), "GB", datetime(2025, 3, 1, tzinfo=UTC), POLICIES[4]),
]


@pytest.mark.parametrize("question", QUESTIONS, ids=["opt-in", "strict-file", "lenient-file"])
def test_spark_decides_every_item_as_duckdb(
    spark: SparkSession, question: AuditQuestion, tmp_path: Path
) -> None:
    manifest = write_rows(make_manifest_rows(RandomPicker(11), 300), tmp_path / "m.parquet")
    compiled, clustered = tmp_path / "duckdb.parquet", tmp_path / "spark.parquet"
    count = duckdb_engine.decide(manifest, question, compiled)
    assert spark_engine.decide(manifest, question, clustered, session=spark) == count
    assert_same(compiled, clustered)


def test_all_three_engines_agree_on_a_generated_200k_item_manifest(
    spark: SparkSession, tmp_path: Path
) -> None:
    manifest = synthetic_manifest(tmp_path / "m.parquet", 200_000, seed=20261124).path
    question = AuditQuestion(
        ("genai-training",), None, datetime(2026, 6, 1, tzinfo=UTC), builtin("opt-in")
    )
    tables = {
        "python": tmp_path / "python.parquet",
        "duckdb": tmp_path / "duckdb.parquet",
        "spark": tmp_path / "spark.parquet",
    }
    assert python_engine.decide(manifest, question, tables["python"]) == 200_000
    assert duckdb_engine.decide(manifest, question, tables["duckdb"]) == 200_000
    assert spark_engine.decide(manifest, question, tables["spark"], session=spark) == 200_000
    connection = duckdb.connect()
    reference = f"read_parquet('{tables['python']}')"
    for name in ("duckdb", "spark"):
        other = f"read_parquet('{tables[name]}')"
        for first, second in ((reference, other), (other, reference)):
            (differing,) = connection.execute(
                f"SELECT count(*) FROM (SELECT * FROM {first} EXCEPT ALL SELECT * FROM {second})"
            ).fetchone() or (None,)
            assert differing == 0, name
    (decisions,) = connection.execute(
        f"SELECT count(DISTINCT decision) + count(DISTINCT reasons) FROM {reference}"
    ).fetchone() or (0,)
    assert decisions > 5  # a real mix of outcomes and reasons, not one repeated row
