"""What prediction imports, checked in fresh interpreters: no TensorFlow, no engine or table library, no server;
the package's errors reachable without importing the rest."""

import subprocess
import sys
import textwrap
from pathlib import Path


def test_prediction_never_imports_tensorflow(tiny_model, tmp_path):
    review = tmp_path / "review.txt"
    review.write_text("A wonderful film.")
    script = textwrap.dedent(
        f"""
        import sys
        from sentiment_cli.cli import app
        try:
            app(["predict", "--model", {str(tiny_model)!r}, {str(review)!r}, "--format", "jsonl"])
        except SystemExit as exit:
            assert exit.code in (0, None), exit.code
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
        print("HEAVY", heavy)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"source": ' in result.stdout
    assert "HEAVY []" in result.stdout


HEAVY = ("tensorflow", "keras", "pandas", "pyarrow", "pyspark", "dask", "ray", "sklearn")


def test_import_and_load_stay_light():
    script = textwrap.dedent(
        f"""
        import sys
        import sentiment_cli
        before = sorted(m for m in sys.modules if m.split(".")[0] in ("numpy", *{HEAVY!r}))
        model = sentiment_cli.load()
        results = model.predict(["A wonderful film."])
        heavy = sorted(m.split(".")[0] for m in sys.modules if m.split(".")[0] in {HEAVY!r})
        print("BEFORE", before, "HEAVY", sorted(set(heavy)), results[0].label)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["BEFORE", "[]", "HEAVY", "[]", "positive"]


def test_errors_are_reached_from_the_package():
    code = "import sentiment_cli; print(sentiment_cli.errors.ModelError.__name__, 'errors' in dir(sentiment_cli))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["ModelError", "True"]


def test_predict_command_imports_no_engine_or_table_library(tmp_path):
    review = tmp_path / "reviews.txt"
    review.write_text("A wonderful film.\nDull and far too long.\n")
    script = textwrap.dedent(
        f"""
        import sys
        from sentiment_cli.cli import app
        try:
            app(["predict", "--per-line", {str(review)!r}, "--format", "jsonl"])
        except SystemExit as exit:
            assert exit.code in (0, None), exit.code
        print("HEAVY", sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r})))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('"label": ') == 2
    assert "HEAVY []" in result.stdout


def test_pyarrow_is_not_imported_with_the_module():
    code = "import sys, sentiment_cli.tables; print('pyarrow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


ROOT = Path(__file__).resolve().parents[2]


def test_predict_does_not_import_the_server(tmp_path: Path) -> None:
    review = tmp_path / "review.txt"
    review.write_text("A wonderful film.")
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "sentiment_cli", "predict", str(review)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert "sentiment_cli" in imported and not imported & {"starlette", "uvicorn", "anyio", "h11"}
