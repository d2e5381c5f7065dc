"""I/O faults and hostile files, run as a user would run them: real shells, real descriptors, real pipes."""

from __future__ import annotations

import json
import shlex
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sentiment_cli.cli import app

runner = CliRunner()


def default_signals() -> None:
    """Background shells start children with Ctrl-C ignored, and pipes' writers with SIGPIPE as Python left it:
    the child gets the default handling a terminal user's program has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def shell(script: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """``script`` in bash, with ``sentiment`` meaning this checkout's command."""
    prelude = f'sentiment() {{ {shlex.quote(sys.executable)} -m sentiment_cli "$@"; }}\n'
    return subprocess.run(
        ["bash", "-c", prelude + script], cwd=cwd, capture_output=True, timeout=timeout, preexec_fn=default_signals
    )


def one_error(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    assert "Traceback" not in stderr.decode("utf-8", "replace")
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


def test_full_or_closed_standard_streams_are_one_line_errors(tiny_model, tmp_path):
    (tmp_path / "r.txt").write_text("a great film\n")
    m = shlex.quote(str(tiny_model))
    cases = {
        f"sentiment predict -m {m} r.txt > /dev/full": "error: standard output: cannot write (No space left on device)",
        f"sentiment predict -m {m} r.txt -f table > /dev/full": "error: standard output: cannot write (No space",
        f"sentiment predict -m {m} r.txt >&-": "error: standard output: closed, cannot write the results",
        f"sentiment predict -m {m} - <&-": "error: standard input: closed, nothing to read",
        f"sentiment predict -m {m} <&-": "error: standard input: closed, nothing to read",
    }
    for script, expected in cases.items():
        result = shell(script, tmp_path)
        assert result.returncode == 1, (script, result.stderr)
        assert one_error(result.stderr).startswith(expected), script
    # a closed stderr is held on /dev/null: the results still come out, and no file can take descriptor 2
    result = shell(f"sentiment predict -m {m} r.txt 2>&-", tmp_path)
    assert result.returncode == 0 and json.loads(result.stdout)["label"] == "positive"


def test_table_output_piped_to_head_exits_141_quietly(tiny_model, tmp_path):
    (tmp_path / "many.txt").write_text("".join(f"a great film {i}\n" for i in range(3000)))
    m = shlex.quote(str(tiny_model))
    for fmt in ("table", "jsonl", "csv"):
        script = f"sentiment predict -m {m} --per-line many.txt -f {fmt} | head -1; exit ${{PIPESTATUS[0]}}"
        result = shell(script, tmp_path)
        assert result.returncode == 141, (fmt, result.stderr)
        assert result.stderr == b"", fmt
        assert len(result.stdout.splitlines()) == 1


def test_file_names_that_are_not_utf8_give_valid_utf8_output(tiny_model, tmp_path):
    (tmp_path / "bad\udcff review.txt").write_text("a great film")  # the byte 0xff, as Python names it
    table = tmp_path / "t\udcfe.csv"
    table.write_text("text,label\ngood film,1\n")
    m = shlex.quote(str(tiny_model))
    result = shell(f"sentiment predict -m {m} $'bad\\xff review.txt'", tmp_path)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout.decode("utf-8"))  # strict UTF-8: valid JSON text
    assert record["source"] == "bad\ufffd review.txt" and record["label"] == "positive"
    result = shell(f"sentiment predict -m {m} $'t\\xfe.csv' -o out.csv", tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[1].startswith("t\ufffd.csv:2,positive,")


def test_csv_output_neutralises_formulas_and_keeps_numbers(tiny_model, tmp_path):
    data = tmp_path / "f.csv"
    data.write_text('text,n,f\ngood film,-3,"=HYPERLINK(""http://evil.example"")"\nbad film,+1.5e3,@SUM(A1)\n')
    args = ["predict", "-m", str(tiny_model), str(data), "--keep-columns", "n,f", "-f", "csv"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    rows = [line.split(",", 3) for line in result.stdout.splitlines()[1:]]
    assert [row[3] for row in rows] == ['-3,"\'=HYPERLINK(""http://evil.example"")"', "+1.5e3,'@SUM(A1)"]
    result = runner.invoke(app, [*args, "--no-csv-safe"])
    assert result.stdout.splitlines()[2].endswith(",+1.5e3,@SUM(A1)")


def _keras_variant(source: Path, target: Path, mutate=None, extra: int = 0) -> Path:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "config.json" and mutate is not None:
                config = json.loads(data)
                mutate(config)
                data = json.dumps(config).encode()
            out.writestr(name, data)
        if extra:
            with out.open("padding.bin", "w", force_zip64=True) as pad:
                for _ in range(extra >> 24):
                    pad.write(bytes(1 << 24))
    return target


def test_keras_files_that_are_not_models_are_named_for_what_they_are(tiny_model, tmp_path):
    from sentiment_cli.errors import ModelError
    from sentiment_cli.inspection import MAX_KERAS_INFLATED, load_keras

    keras_file = tiny_model / "model.keras"
    text = tmp_path / "text.keras"
    text.write_text("hello")
    with pytest.raises(ModelError, match=r"not a Keras model file \(a \.keras file is a zip archive"):
        load_keras(text)

    def bad_units(config):
        next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense")["config"]["units"] = "x"

    def custom(config):
        config["config"]["layers"][1]["class_name"] = "MyLayer"

    with pytest.raises(ModelError, match="a layer's configuration is not valid .*units") as caught:
        load_keras(_keras_variant(keras_file, tmp_path / "units.keras", bad_units))
    assert "custom" not in str(caught.value)
    with pytest.raises(ModelError, match="custom layer .*MyLayer"):
        load_keras(_keras_variant(keras_file, tmp_path / "custom.keras", custom))
    bomb = _keras_variant(keras_file, tmp_path / "bomb.keras", extra=MAX_KERAS_INFLATED + (1 << 24))
    assert bomb.stat().st_size < 4 << 20
    with pytest.raises(ModelError, match="would inflate to .* not loaded"):
        load_keras(bomb)


def test_inspect_loads_the_bytes_it_verified(tiny_model, tmp_path, monkeypatch):
    import sentiment_cli.inspection as inspection

    model = shutil.copytree(tiny_model, tmp_path / "model")
    real = inspection.read_bundle

    def read_then_swap(path, **kwargs):
        bundle = real(path, **kwargs)
        (model / "model.keras").write_bytes(b"swapped after hashing")  # the race the hash must win
        return bundle

    monkeypatch.setattr(inspection, "read_bundle", read_then_swap)
    report = inspection.inspect_model(model)
    assert report.total_params > 0 and report.card is not None
