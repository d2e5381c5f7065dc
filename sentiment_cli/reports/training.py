"""The training report of a model card: loss and accuracy per epoch, the metrics of every split
(:meth:`sentiment_cli.metrics.Metrics.headline`), class balance, review lengths, vocabulary coverage, the
data, and the card's facts (:func:`sentiment_cli.facts.card_facts`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..facts import card_facts
from .charts import balance_chart, history_chart, length_chart
from .document import Report, Section, Table, _dict, _f

if TYPE_CHECKING:
    from ..bundle import Card


def training_report(card: Card) -> Report:
    """The training report of a model card: loss and accuracy per epoch of each branch with the kept epoch
    marked, metrics of every split, class balance, review lengths and vocabulary coverage (when the card
    recorded them), rows skipped. Card fields are shown as text, never trusted."""
    labels = list(card.labels)
    training, data, metrics = card.training, card.data, card.metrics

    charts = [
        history_chart(name, curves, training.kept(name, curves), k)
        for k, (name, curves) in enumerate(card.history.items())
    ]
    balance = {
        split: [values.per_class[name].support or 0 if name in values.per_class else 0 for name in labels]
        for split, values in metrics.items()
        if values.per_class
    }
    if balance:
        charts.append(balance_chart(balance, labels))
    summary = data.summary or {}
    if summary.get("length_counts"):
        charts.append(length_chart(summary))

    headline = next(iter(metrics.values())).headline() if metrics else []
    names = [f"{row.label} ({row.of})" if row.of else row.label for row in headline]
    metric_rows = []
    for split, values in metrics.items():
        metric_rows.append([split, _f(values.n, ","), *(_f(row.value) for row in values.headline())])
    for branch, scores in card.branches.items():
        for split, accuracy in scores.items():
            reviews = metrics[split].n if split in metrics else None
            blanks = [""] * (len(names) - 1)
            metric_rows.append([f"{split}, {branch} branch alone", _f(reviews, ","), _f(accuracy), *blanks])

    # the data's file names: the folders of the machine it was built on mean nothing to a reader
    source = " + ".join(os.path.basename(s.rstrip("/")) or s for s in str(data.source or "?").split(" + "))
    data_rows = [["source", source]]
    if "files" in data.fingerprint:
        files, size = data.fingerprint.get("files"), data.fingerprint.get("bytes")
        data_rows.append(["files", f"{_f(files, ',')} ({_f(size, ',')} bytes)"])
    for split, size in (data.splits or {}).items():
        data_rows.append([f"{split} reviews in the data", _f(size, ",")])
    data_rows.append(["training reviews (after the validation split)", _f(training.train_reviews, ",")])
    data_rows.append(["validation reviews", _f(training.validation_reviews, ",")])
    data_rows.append(["rows read", _f(data.rows_read, ",")])
    skipped = data.rows_skipped or {}
    data_rows += [[f"rows skipped {reason}", _f(count, ",")] for reason, count in skipped.items()]
    if not skipped:
        data_rows.append(["rows skipped", "0"])
    if data.files_skipped:
        data_rows.append(["files skipped (unreadable)", _f(data.files_skipped, ",")])
    for split, share in _dict(summary.get("vocabulary_coverage")).items():
        data_rows.append([f"vocabulary coverage, {split}", "n/a" if share is None else f"{share:.2%}"])
    for split, median in _dict(summary.get("length_median")).items():
        data_rows.append([f"median review length, {split}", f"{_f(median, ',.0f')} {summary.get('length_unit')}"])
    notes = []
    if not summary:
        notes.append(
            "Review lengths and vocabulary coverage were not recorded in this model's card (trained before "
            "reports existed); class balance comes from the metrics' supports."
        )

    model = card.model
    model_rows = [[fact, value] for fact, value in card_facts(card)]
    units = " / ".join(_f(v, ",") for v in (model.embedding_dim, model.lstm_units, model.dense_units))
    model_rows.append(["embedding / LSTM / dense units", units])
    if card.command:
        model_rows.append(["command", " ".join(card.command)])

    metric_headers = ["split", "reviews", *names]
    sections = [
        Section("Metrics", "metrics", tables=[Table(metric_headers, metric_rows, "metrics-table")]),
        Section("Charts", "charts", charts=charts),
        Section("Data", "data", tables=[Table(["fact", "value"], data_rows, "data-table", 2)], notes=notes),
        Section("Model", "model", tables=[Table(["fact", "value"], model_rows, "model-table", 2)]),
    ]
    name = card.name or "model"
    facts = dict(card_facts(card))
    headline_facts = [("architecture", facts["architecture"]), ("classes", ", ".join(labels))]
    for split in ("train", "validation", "test"):
        if split in metrics:
            headline_facts.append((f"{split} accuracy", _f(metrics[split].accuracy)))
    if "validation" in metrics:
        headline_facts.append(("validation log loss", _f(metrics["validation"].log_loss)))
    headline_facts += [(row[0], row[1]) for row in data_rows[:1]]
    subtitle = f"{card.description or 'sentiment model'}; created {card.created or '?'}"
    return Report("training", f"Training report: {name}", subtitle, sections, headline_facts)
