"""Every Rich table and chart the commands print, built from result objects (no command logic here).

User-supplied text (review text, file names, card fields, layer names) goes through ``console.plain`` (or
``console.cell``, on one line): never read as markup, control characters shown escaped. The consoles read no
markup at all, so a string that reaches Rich another way is shown as written too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config import describe_window
from ..records import carried, cell_text
from . import console as output  # the consoles and inert text: output.cell, output.plain

if TYPE_CHECKING:
    from rich.table import Table

    from ..explain import Explanation
    from ..runtime import Prediction


# -- evaluate ------------------------------------------------------------------------------------------


def _value(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def evaluation_table(result: dict[str, Any]) -> Table:
    from rich.table import Table

    binary = len(result["classes"]) == 2
    table = Table(show_header=False)
    table.add_column("metric", style="bold", no_wrap=True)
    table.add_column("value", justify="right", overflow="fold")
    evaluated = result.get("evaluated") or f"{result['split']} split"
    table.add_row("data", output.cell(f"{result['source']}, {evaluated}"))
    rows = [("accuracy", "accuracy")]
    if binary:
        rows += [("precision", "precision"), ("recall", "recall"), ("F1", "f1"), ("ROC-AUC", "roc_auc")]
    else:
        rows += [
            ("macro recall", "macro_recall"), ("macro precision", "macro_precision"), ("macro F1", "macro_f1"),
            ("weighted F1", "weighted_f1"), ("ROC-AUC (one vs rest, macro)", "roc_auc"),
        ]  # fmt: skip
    rows += [("log loss", "log_loss"), ("calibration error (ECE, 10 bins)", "ece")]
    for label, key in rows:
        table.add_row(label, _value(result[key]))
    table.add_row("reviews", f"{result['n']:,}")
    if binary:
        (tn, fp), (fn, tp) = result["confusion_matrix"]
        table.add_row("true negative / false positive", f"{tn:,} / {fp:,}")
        table.add_row("false negative / true positive", f"{fn:,} / {tp:,}")
        table.add_row("threshold", f"{result['threshold']:.2f}")
    for reason, count in result.get("rows_skipped", {}).items():
        table.add_row(output.cell(f"rows skipped {reason}"), f"{count:,}")
    if result.get("unreadable"):
        table.add_row("not scored: no word or n-gram the model knows", f"{result['unreadable']:,}")
    rate = result["reviews_per_second"]
    table.add_row("throughput", "n/a" if rate is None else f"{rate:,.0f} reviews/s")
    for key, why in result.get("undefined", {}).items():
        table.add_row(f"{key} undefined", output.plain(why))
    return table


def per_class_table(result: dict[str, Any]) -> Table:
    from rich.table import Table

    table = Table(title="Per class", header_style="bold")
    table.add_column("class", no_wrap=True)
    for column in ("precision", "recall", "F1", "support"):
        table.add_column(column, justify="right")
    for name, values in result["per_class"].items():
        table.add_row(
            output.cell(name), *(f"{values[k]:.4f}" for k in ("precision", "recall", "f1")), f"{values['support']:,}"
        )
    table.add_section()
    for average in ("macro", "weighted"):
        cells = [f"{result[f'{average}_{k}']:.4f}" for k in ("precision", "recall", "f1")]
        table.add_row(f"{average} average", *cells, f"{result['n']:,}")
    return table


def confusion_table(result: dict[str, Any]) -> Table:
    from rich.table import Table

    table = Table(title="Confusion matrix (rows true, columns predicted)", header_style="bold")
    table.add_column("true \\ predicted", no_wrap=True)
    for name in result["classes"]:
        table.add_column(output.cell(name), justify="right")
    for name, row in zip(result["classes"], result["confusion_matrix"], strict=True):
        table.add_row(output.cell(name), *(f"{v:,}" for v in row))
    return table


# -- inspect -------------------------------------------------------------------------------------------


FORMULA_MIN_WIDTH = 24
"""Narrowest the formula column may be before ``inspect`` stacks each layer's facts instead."""


def layers_table(report: Any, expand: bool = False, width: int | None = None) -> Table:
    """The layer table; on a console narrower than its columns need (``width``), each layer's facts stacked
    under its name, one to a line, so that no number is ever folded."""
    from rich.table import Table

    per = "per token" if report.sequence_length == 1 else f"per review of {report.sequence_length} tokens"
    title = output.cell(f"{report.name}  ({report.source})")
    if width is not None and width < _columns_width(report):
        return _stacked_layers(report, expand, title, per)
    table = Table(title=title, caption=f"mult-adds: {per}", header_style="bold")
    table.add_column("layer (type)", no_wrap=True)
    table.add_column("output shape", overflow="fold")
    table.add_column("params", justify="right", no_wrap=True)
    table.add_column("how the count arises", overflow="fold", ratio=3)
    table.add_column("mult-adds", justify="right", overflow="fold", ratio=1)
    for layer in report.layers:
        _add_layer(table, layer, expand, "")
    table.add_section()
    table.add_row("total", "", f"{report.total_params:,}", f"{report.weight_bytes:,} bytes", f"{report.total_macs:,}")
    table.add_row("trainable", "", f"{report.trainable_params:,}", "", "")
    table.add_row("non-trainable", "", f"{report.non_trainable_params:,}", "", "")
    return table


def _rows(layers: list[Any], expand: bool, indent: str = "") -> list[tuple[str, Any]]:
    """Every layer (and with ``expand`` its inner layers), with the indent it is shown at."""
    rows = []
    for layer in layers:
        rows.append((indent, layer))
        if expand:
            rows += _rows(layer.children, expand, indent + "  ")
    return rows


def _columns_width(report: Any) -> int:
    """What the layer table needs: its fixed columns at their widest, the formula at its narrowest, borders."""
    rows = [layer for _, layer in _rows(report.layers, True)]
    names = max(len(f"    {layer.name} (frozen)") for layer in rows)
    shapes = max(len(layer.output_shape) for layer in rows)
    numbers = len(f"{report.total_params:,}") + len(f"{report.total_macs:,}")
    return max(names, 12) + max(shapes, 12) + numbers + FORMULA_MIN_WIDTH + 5 * 3 + 1


def _stacked_layers(report: Any, expand: bool, title: Any, per: str) -> Table:
    from rich.table import Table

    table = Table(title=title, caption=f"mult-adds: {per}", header_style="bold", show_lines=True)
    table.add_column("layer (type)", no_wrap=True)
    table.add_column("output shape, params, how the count arises, mult-adds", overflow="fold")
    for indent, layer in _rows(report.layers, expand):
        facts = ([f"shape {layer.output_shape}"] if layer.output_shape else []) + [f"params {layer.params:,}"]
        facts += [layer.formula] if layer.formula else []
        facts += [f"mult-adds {layer.macs:,}"] if layer.macs else []
        table.add_row(_layer_name(layer, indent), output.plain("\n".join(facts)))
        for weight in layer.weights if expand else ():
            shape = "×".join(str(d) for d in weight.shape)
            table.add_row(output.plain(f"{indent}  · {weight.name}", "dim"),
                          output.plain(f"shape {shape}\nparams {weight.params:,}\n{weight.role}"))  # fmt: skip
    table.add_row("total", output.plain(f"params {report.total_params:,} ({report.trainable_params:,} trainable)\n"
                                        f"{report.weight_bytes:,} bytes\nmult-adds {report.total_macs:,}"))  # fmt: skip
    return table


def _layer_name(layer: Any, indent: str) -> Any:
    """A layer's name (marked when frozen) over its type, dimmed."""
    name = output.cell(f"{indent}{layer.name}")
    if not layer.trainable:
        name.append(" (frozen)", style="yellow")
    name.append("\n")
    name.append_text(output.plain(f"{indent}{layer.type}", "dim"))
    return name


def _add_layer(table: Table, layer: Any, expand: bool, indent: str) -> None:
    table.add_row(
        _layer_name(layer, indent),
        output.plain(layer.output_shape),
        f"{layer.params:,}",
        output.plain(layer.formula) if layer.formula else output.plain("no weights", "dim"),
        f"{layer.macs:,}" if layer.macs else "",
    )
    if not expand:
        return
    for child in layer.children:
        _add_layer(table, child, expand, indent + "  ")
    for weight in layer.weights:
        shape = "×".join(str(d) for d in weight.shape)
        table.add_row(
            output.plain(f"{indent}  · {weight.name}", "dim"), shape, f"{weight.params:,}",
            output.plain(weight.role, "dim"), "",
        )  # fmt: skip


def why(report: Any) -> list[str]:
    lines = [f"{layer.name}: {layer.note}" for layer in report.layers if layer.note]
    if report.sequence_length == 1:
        lines.append("mult-adds are per token here: pass --input-length N for a whole review")
    return lines + list(report.notes)


def _number(value: Any, spec: str) -> str:
    """``value`` formatted when it is a number; a card's descriptive fields are shown, never trusted."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format(value, spec)
    return "?" if value is None else str(value)


def _section(card: dict[str, Any], key: str) -> dict[str, Any]:
    value = card.get(key)
    return value if isinstance(value, dict) else {}


def card_table(card: dict[str, Any]) -> Table:
    """The facts of a model card; every value is shown as plain text (a card is user-editable JSON)."""
    from rich.table import Table

    table = Table(title="Model card", show_header=False)
    table.add_column("fact", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")

    def row(fact: str, value: str) -> None:
        table.add_row(output.cell(fact), output.cell(value))

    model, training, data = _section(card, "model"), _section(card, "training"), _section(card, "data")
    row("architecture", str(model.get("arch", "seed")))
    row("vocabulary", f"{_number(model.get('vocab_size'), ',')} entries (+1 padding id), {model.get('tokenizer')}")
    if model.get("arch") == "hybrid":
        chars = ", and character 1-4-grams" if model.get("char_ngrams") == "on" else ""
        row(
            "n-gram bag",
            f"{_number(model.get('ngram_vocab_size'), ',')} n-grams of 1 to {model.get('ngram_order')} words{chars} "
            "(+2 ids)",
        )
    row("sequence length", describe_window(model.get("max_length"), model.get("head_length")))
    for fact, value in data_rows(card):
        row(fact, value)
    skipped = data.get("rows_skipped")
    if isinstance(skipped, dict) and skipped:
        row("rows skipped", "; ".join(f"{_number(count, ',')} {reason}" for reason, count in skipped.items()))
    epochs, best = _section(training, "epochs_run"), _section(training, "best_epoch")
    for name, seconds in _section(training, "fit_seconds").items():
        row(f"trained {name}", f"{epochs.get(name)} epochs (best {best.get(name)}), {seconds} s")
    labels = card.get("labels", ["negative", "positive"])
    row("classes", ", ".join(f"{i}: {name}" for i, name in enumerate(labels)))
    combiner = _section(training, "combiner")
    if "kernel" in combiner:
        n = len(labels)
        row("combiner", f"Dense({n}, softmax) over the {2 * n} branch logits, fitted on the validation split")
    elif combiner:
        row("combiner", combiner_formula(combiner, model.get("length_gate")))
    for fact, value in embedding_rows(training):
        row(fact, value)
    metrics = _section(card, "metrics")
    for split, values in metrics.items():
        if isinstance(values, dict) and "accuracy" in values:
            row(f"{split} accuracy", f"{_number(values['accuracy'], '.4f')} on {_number(values.get('n'), ',')} reviews")
    for name, scores in _section(metrics, "branches").items():
        if isinstance(scores, dict):
            row(f"{name} branch alone", ", ".join(f"{split} {_number(v, '.4f')}" for split, v in scores.items()))
    row("created", str(card.get("created", "?")))
    return table


def _file_name(value: Any) -> str:
    """A path the card holds, as its file name: the build machine's folders mean nothing to a reader."""
    import os

    text = str(value)
    return text if "://" in text else os.path.basename(text.rstrip("/\\")) or text


def _sha(value: Any) -> str | None:
    return f"sha256 {value[:12]}…" if isinstance(value, str) and value else None


def data_rows(card: dict[str, Any]) -> list[tuple[str, str]]:
    """What the card says of the training data, exactly and only that: each part (its file name, kind, files,
    bytes, hash and split sizes), the splits, and the named sources (name, file, licence). Nothing the card
    does not hold is shown (no '?' placeholders), and no build machine's folders."""
    data = _section(card, "data")
    fingerprint = _section(data, "fingerprint")
    parts = data.get("parts") or fingerprint.get("parts") or ([data] if data.get("source") else [])
    rows: list[tuple[str, str]] = []
    for n, part in enumerate(p for p in parts if isinstance(p, dict)):
        source = part.get("path") or part.get("source")
        if not source:
            continue
        facts = [str(part["kind"])] if part.get("kind") else []
        if isinstance(part.get("files"), int) and part["files"] != 1:
            facts.append(f"{part['files']:,} files")
        if isinstance(part.get("bytes"), int):
            facts.append(f"{part['bytes']:,} bytes")
        facts += [s for s in [_sha(part.get("sha256"))] if s]
        splits = part.get("splits")
        if isinstance(splits, dict) and splits:
            facts.append(", ".join(f"{name} {_number(count, ',')}" for name, count in splits.items()))
        names = " + ".join(_file_name(s) for s in str(source).split(" + "))
        rows.append(("data" if n == 0 else "", names + (f" ({'; '.join(facts)})" if facts else "")))
    splits = data.get("splits")
    if isinstance(splits, dict) and splits and len(rows) != 1:
        rows.append(("data splits", ", ".join(f"{name} {_number(count, ',')}" for name, count in splits.items())))
    sources = data.get("sources")
    for n, entry in enumerate(s for s in (sources if isinstance(sources, list) else []) if isinstance(s, dict)):
        said = [str(entry["name"])] if entry.get("name") else []
        said += [_file_name(entry["file"])] if entry.get("file") else []
        said += [f"licence {entry['licence']}"] if entry.get("licence") else []
        rows.append(("data sources" if n == 0 else "", ", ".join(said)))
    return rows


def combiner_formula(combiner: dict[str, Any], length_gate: Any = None) -> str:
    """The hybrid's combiner as the model computes it: with the length gate (``bilstm_gated_weight``,
    ``ngram_gated_weight`` and the model's ``length_gate`` tau), logit = a·BiLSTM + b·bag + g·(c·BiLSTM + d·bag)
    + e with g = 1/(1 + n/tau), n the review's n-gram ids; without it, logit = a·BiLSTM + b·bag + e."""
    def term(key: str, first: bool = False) -> str:
        """``0.201`` first, else ``+ 0.201`` or ``- 1.578``: each weight with its own sign, once."""
        value = combiner.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return ("" if first else "+ ") + _number(value, "")
        return f"{value:.3f}" if first else f"{'-' if value < 0 else '+'} {abs(value):.3f}"

    main = f"{term('bilstm_weight', True)}·BiLSTM {term('ngram_weight')}·bag"
    gated = "bilstm_gated_weight" in combiner or "ngram_gated_weight" in combiner
    if gated and isinstance(length_gate, int | float) and length_gate > 0:
        inner = f"{term('bilstm_gated_weight', True)}·BiLSTM {term('ngram_gated_weight')}·bag"
        return (f"logit = {main} + g·({inner}) {term('bias')}, g = 1/(1 + n/{length_gate:g}), n the review's "
                "n-gram ids; p = sigmoid(logit), fitted on the validation split")  # fmt: skip
    return f"logit = {main} {term('bias')}; p = sigmoid(logit), fitted on the validation split"


def embedding_rows(training: dict[str, Any]) -> list[tuple[str, str]]:
    """Where the embedding started: ``R of V rows from SOURCE (sha256 …), token coverage X%``."""
    vectors = training.get("embeddings")
    if not isinstance(vectors, dict):
        return []
    found, rows = vectors.get("rows_from_vectors"), vectors.get("vocabulary_rows")
    said = f"{_number(found, ',')} of {_number(rows, ',')} rows" if found is not None and rows is not None else "rows"
    said += f" from {_file_name(vectors['source'])}" if vectors.get("source") else ""
    said += f" ({sha})" if (sha := _sha(vectors.get("sha256"))) else ""
    if isinstance(vectors.get("token_coverage"), int | float):
        said += f", token coverage {100 * vectors['token_coverage']:.1f}%"
    if vectors.get("frozen") or vectors.get("freeze_embeddings"):
        said += ", frozen"
    return [("embedding", said)]


def _bar(value: float, top: float, width: int = 16) -> str:
    cells = 0 if top <= 0 else round(width * min(value, top) / top)
    return "█" * cells + "·" * (width - cells)


def history_chart(name: str, history: dict[str, list[float]]) -> Table:
    """Loss and accuracy per epoch, training against validation, as bars: over-fitting shows at a glance."""
    from rich.table import Table
    from rich.text import Text

    losses = history.get("loss", [])
    val_losses = history.get("val_loss", [])
    top = max(losses + val_losses, default=0.0)
    best = min(range(len(val_losses)), key=val_losses.__getitem__) if val_losses else None
    table = Table(title=output.cell(f"Training history: {name}"), header_style="bold", show_edge=False)
    table.add_column("epoch", justify="right")
    table.add_column("loss (train)")
    table.add_column("loss (validation)")
    table.add_column("accuracy train / val", justify="right")
    for epoch, loss in enumerate(losses):
        val_loss = val_losses[epoch] if epoch < len(val_losses) else None
        accuracy = history.get("accuracy", [None] * len(losses))[epoch]
        val_accuracy = (history.get("val_accuracy") or [None] * len(losses))[epoch]
        marker = (" ← kept", "bold green") if epoch == best else ""
        table.add_row(
            str(epoch + 1),
            Text.assemble((_bar(loss, top), "cyan"), f" {loss:.3f}"),
            "" if val_loss is None else Text.assemble((_bar(val_loss, top), "magenta"), f" {val_loss:.3f}", marker),
            " / ".join("-" if a is None else f"{a:.3f}" for a in (accuracy, val_accuracy)),
        )
    return table


# -- train ---------------------------------------------------------------------------------------------


def metrics_table(metrics: dict[str, dict[str, Any]], labels: tuple[str, ...]) -> Table:
    """Metrics as rows and splits as columns (each branch's accuracy a row of its own): a few narrow columns
    that fit an 80-column terminal, numbers never cut (a metric per column needed about 100)."""
    from rich.table import Table

    binary = len(labels) == 2
    keys = ("accuracy", "log_loss", "precision", "recall", "f1", "roc_auc")
    names = ("accuracy", "log loss", "precision", "recall", "F1", "ROC-AUC")
    if not binary:
        keys = ("accuracy", "log_loss", "macro_precision", "macro_recall", "macro_f1", "roc_auc")
        names = ("accuracy", "log loss", "macro precision", "macro recall", "macro F1", "ROC-AUC (OvR)")
    splits = [split for split, values in metrics.items() if split != "branches" and isinstance(values, dict)]
    table = Table(title="Metrics", header_style="bold")
    table.add_column("metric", overflow="fold")
    for split in splits:
        table.add_column(output.cell(split), justify="right", no_wrap=True)
    table.add_row("reviews", *(f"{metrics[split].get('n', 0):,}" for split in splits))
    for key, name in zip(keys, names, strict=True):
        values = [metrics[split].get(key) for split in splits]
        table.add_row(name, *("" if v is None else f"{v:.4f}" for v in values))
    branches = metrics.get("branches", {})
    if branches:
        table.add_section()
    for name, scores in branches.items():
        table.add_row(
            output.cell(f"{name} alone, accuracy"),
            *("" if scores.get(split) is None else f"{scores[split]:.4f}" for split in splits),
        )
    return table


def score_summary(summary: Any) -> str:
    """``sentiment score``'s one line: rows, rows without a label, time, rate and partitions."""
    rate = summary.rows / summary.seconds if summary.seconds > 0 else 0.0
    none = f", {summary.unlabelled:,} without a label" if summary.unlabelled else ""
    return (
        f"Scored {summary.rows:,} rows ({summary.text_column!r}{none}) into {summary.output} "
        f"in {summary.seconds:.1f} s ({rate:,.0f} rows/s, {summary.partitions} partitions)"
    )


# -- predict ---------------------------------------------------------------------------------------------

PREVIEW_WIDTH = 160
"""Widest a prediction table grows to fill the console (its review column is a preview)."""

_ONE_FOR_ONE = {c: "\ufffd" for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]}
"""Control characters to U+FFFD, one for one, where offsets into the text must keep their meaning."""


def predictions_table(
    predictions: list[Any],
    classes: tuple[str, ...],
    *,
    with_id: bool = False,
    keep: tuple[str, ...] = (),
    show_header: bool = True,
    width: int = 80,
) -> Table:
    """``predict``'s table on a terminal: source, the id and kept columns (each up to 20 characters wide), label,
    probability and a preview of the review, fitted to ``width`` (up to :data:`PREVIEW_WIDTH`). Later chunks of one
    run (lines typed one by one) continue the same table without its header."""
    from rich.table import Table
    from rich.text import Text

    cell, one_line = output.cell, output.one_line
    multiclass = len(classes) > 2
    width = min(width, PREVIEW_WIDTH)
    source_width = min(max(6, min(40, width // 3)), max(6, *(len(one_line(p.source)) for p in predictions)))
    label_width = max(8, *(len(one_line(name)) for name in classes))
    heading = cell("P(label)" if multiclass else f"P({classes[1]})")  # a class name: never markup
    probability_width = max(11, len(heading))
    # the id and the kept columns, as every other format carries them (each up to 20 characters wide)
    names = (["id"] if with_id else []) + list(keep)
    shown = {name: [_carried_cell(carried(p, name)) for p in predictions] for name in names}
    carried_widths = {name: min(20, max(len(one_line(name)), *map(len, cells))) for name, cells in shown.items()}
    used = source_width + label_width + probability_width + sum(carried_widths.values())
    review_width = max(10, width - used - (4 + len(shown)) * 3)
    table = Table(show_edge=False, header_style="bold", show_header=show_header)
    table.add_column("source", min_width=source_width, max_width=source_width, overflow="fold")
    if with_id:
        table.add_column("id", width=carried_widths["id"], overflow="fold")
    table.add_column("label", min_width=label_width, no_wrap=True)
    table.add_column(heading, min_width=probability_width, justify="right", no_wrap=True)
    for name in keep:
        table.add_column(cell(name), width=carried_widths[name], overflow="fold")
    table.add_column("review", width=review_width, no_wrap=True, overflow="ellipsis")
    for i, p in enumerate(predictions):
        label = getattr(p, "label", None)
        style = {classes[0]: "red", classes[-1]: "green"}.get(label or "", "yellow")
        probability = getattr(p, "probability", None)
        table.add_row(
            cell(p.source),
            *([cell(shown["id"][i])] if with_id else []),
            cell(label or "-", style=style),
            "-" if probability is None else f"{probability:.3f}",
            *(cell(shown[name][i]) for name in keep),
            Text(output.preview(getattr(p, "text", ""), review_width)),
        )
    return table


def _carried_cell(value: Any) -> str:
    """A carried value (an id, a kept column) for a table cell: ``-`` for none (or NaN), else as
    :func:`~sentiment_cli.records.cell_text`."""
    text = cell_text(value)
    return "-" if text is None else text


def explained(prediction: Prediction, explanation: Explanation, classes: tuple[str, ...]) -> list[Any]:
    """The review with each token coloured by its weight: green toward the second class (two classes) or the
    predicted one (more), red away from it."""
    from rich.text import Text

    from ..text import NEGATED

    cell, one_line = output.cell, output.one_line
    text = prediction.text
    top = max((abs(t.weight) for t in explanation.tokens), default=0.0) or 1.0
    shown = Text(text.translate(_ONE_FOR_ONE))  # one for one, so the tokens' offsets still apply
    for t in explanation.tokens:
        strength = abs(t.weight) / top
        if strength < 0.05:
            continue
        level = int(90 + 165 * strength)
        colour = f"rgb(0,{level},0)" if t.weight > 0 else f"rgb({level},0,0)"
        shown.stylize(f"bold white on {colour}", t.start, t.end)
    style = "green" if prediction.label == classes[-1] else "red" if prediction.label == classes[0] else "yellow"
    if len(classes) == 2:
        heading, toward, away = f"P({classes[1]})", f"toward {classes[1]}", f"toward {classes[0]}"
    else:
        heading, toward, away = f"P({prediction.label})", f"toward {prediction.label}", f"away from {prediction.label}"
    head = Text.assemble(
        (one_line(prediction.source), "bold"), "  ", (one_line(prediction.label), style),
        f"  {one_line(heading)} {prediction.probability:.3f}",
    )  # fmt: skip
    pushed_up, pushed_down = explanation.strongest()
    words = sum(t.weight for t in explanation.tokens) + explanation.rest
    about = "log-odds" if len(classes) == 2 else f"logit of {prediction.label}"
    total = f"  {about} {explanation.logit:+.3f} = base {explanation.base:+.3f} + words {words:+.3f}"
    lines = [head, shown, cell(total)]
    for name, tokens in ((toward, pushed_up), (away, pushed_down)):
        if tokens:
            named = (f"{NEGATED if t.negated else ''}{t.token} ({t.weight:+.3f})" for t in tokens)
            lines.append(cell(f"  {name}: " + ", ".join(named)))
    if explanation.phrases:
        shown_phrases = ", ".join(f'"{" ".join(x.text.split())}" ({x.weight:+.3f})' for x in explanation.phrases)
        lines.append(cell(f"  phrases: {shown_phrases}"))
    return [*lines, Text("")]
