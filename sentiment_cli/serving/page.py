"""The page at ``/`` (type reviews, see label, probability and the highlighted words), ``/docs`` and the
OpenAPI document. Self-contained: no external script, style sheet or font; user text only ever reaches the
page as ``textContent`` (never parsed as HTML), and a Content-Security-Policy allows only the page's own
inline script and style (by hash) and calls to its own origin."""

from __future__ import annotations

import base64
import hashlib
import html as htmlmod
import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Settings

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; } .sub { color: #666; margin-top: 0; }
textarea { width: 100%; box-sizing: border-box; min-height: 8rem; font: inherit; padding: .5rem; }
.row { display: flex; gap: 1rem; align-items: center; margin: .6rem 0; flex-wrap: wrap; }
button { font: inherit; padding: .4rem 1.2rem; cursor: pointer; }
#token { font: inherit; padding: .3rem; width: 20rem; }
.result { border: 1px solid #ddd; border-radius: 6px; padding: .6rem .8rem; margin: .6rem 0; }
.label { font-weight: 600; padding: .05rem .45rem; border-radius: 4px; color: #fff; background: #b8860b; }
.label.first { background: #c0392b; } .label.last { background: #1e8449; } .label.none { background: #888; }
.probability { color: #444; margin-left: .6rem; font-variant-numeric: tabular-nums; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: .4rem 0 0; }
.words { color: #555; font-size: .9rem; margin: .3rem 0 0; }
#status { color: #555; }
"""

SCRIPT = """
"use strict";
const labels = JSON.parse(document.body.dataset.labels);
const statusLine = document.getElementById("status");
const results = document.getElementById("results");

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function highlighted(text, tokens) {
  const chars = Array.from(text);  // offsets count code points, as Python's do
  const block = el("p", "text");
  const top = Math.max(0, ...tokens.map(t => Math.abs(t.weight))) || 1;
  let at = 0;
  for (const t of tokens) {
    if (t.start < at) continue;
    block.append(chars.slice(at, t.start).join(""));
    const word = el("span", "word", chars.slice(t.start, t.end).join(""));
    const strength = Math.abs(t.weight) / top;
    if (strength >= 0.05) {
      const alpha = (0.15 + 0.6 * strength).toFixed(2);
      word.style.backgroundColor = t.weight > 0 ? `rgba(30,160,70,${alpha})` : `rgba(200,40,40,${alpha})`;
    }
    word.title = (t.weight >= 0 ? "+" : "") + t.weight.toFixed(3);
    block.append(word);
    at = t.end;
  }
  block.append(chars.slice(at).join(""));
  return block;
}

function show(texts, predictions) {
  results.replaceChildren();
  predictions.forEach((p, i) => {
    const box = el("article", "result");
    const head = el("div");
    const label = el("span", "label", p.label === null ? "no label" : p.label);
    if (p.label === null) label.classList.add("none");
    else if (p.label === labels[0]) label.classList.add("first");
    else if (p.label === labels[labels.length - 1]) label.classList.add("last");
    head.append(label);
    if (p.probability !== null) {
      const of = labels.length === 2 ? labels[1] : p.label;
      head.append(el("span", "probability", `P(${of}) ${p.probability.toFixed(3)}`));
    } else {
      head.append(el("span", "probability", "no word or n-gram the model knows"));
    }
    box.append(head);
    box.append(p.explanation ? highlighted(texts[i], p.explanation) : el("p", "text", texts[i]));
    if (p.explanation && p.explanation.length) {
      const strongest = [...p.explanation].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)).slice(0, 6);
      const signed = (x) => `${x >= 0 ? "+" : ""}${x.toFixed(2)}`;
      box.append(el("p", "words", "strongest: " + strongest.map(
        t => `${t.negated ? "\u00ac" : ""}${t.token} (${signed(t.weight)})`).join(", ")));
      if (p.explanation_logit !== null && p.explanation_logit !== undefined) {
        const words = p.explanation_logit - p.explanation_base;
        box.append(el("p", "words", `logit ${signed(p.explanation_logit)} = base ${signed(p.explanation_base)}`
          + ` + words ${signed(words)} (\u00acword: read inside a negation)`));
      }
    }
    results.append(box);
  });
}

document.getElementById("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const raw = document.getElementById("texts").value;
  const perLine = document.getElementById("per-line").checked;
  const texts = perLine ? raw.split("\\n").filter(line => line.trim()) : (raw.trim() ? [raw] : []);
  if (!texts.length) { statusLine.textContent = "Type or paste a review first."; return; }
  const headers = {"Content-Type": "application/json"};
  const token = document.getElementById("token");
  if (token && token.value.trim()) headers.Authorization = "Bearer " + token.value.trim();
  const explain = document.getElementById("explain").checked;
  statusLine.textContent = "Classifying…";
  try {
    const response = await fetch("predict", {method: "POST", headers, body: JSON.stringify({texts, explain})});
    const answer = await response.json();
    if (!response.ok) { statusLine.textContent = "Error: " + (answer.error || response.status); return; }
    show(texts, answer.predictions);
    statusLine.textContent = texts.length === 1 ? "1 review classified." : `${texts.length} reviews classified.`;
  } catch (error) {
    statusLine.textContent = "Error: " + error;
  }
});
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sentiment serve</title>
<style>{style}</style>
</head>
<body data-labels="{labels}">
<h1>Sentiment</h1>
<p class="sub">Classes: {classes}. Type or paste reviews; the model says what it thinks and, with
<em>explain</em>, which words pushed it (green toward {toward}, red away).</p>
<form id="form">
<textarea id="texts" placeholder="An absolute masterpiece: moving, funny and beautifully shot."></textarea>
<div class="row">
<button id="classify" type="submit">Classify</button>
<label><input id="per-line" type="checkbox"> one review per line</label>
<label><input id="explain" type="checkbox" checked> explain</label>
{token}
<span id="status"></span>
</div>
</form>
<section id="results"></section>
<script>{script}</script>
</body>
</html>
"""


def html(labels: tuple[str, ...], needs_token: bool = False) -> str:
    token = '<input id="token" type="password" placeholder="token" autocomplete="off">' if needs_token else ""
    toward = labels[1] if len(labels) == 2 else "the label"
    return TEMPLATE.format(
        style=STYLE, script=SCRIPT, token=token, labels=htmlmod.escape(json.dumps(list(labels))),
        classes=htmlmod.escape(", ".join(labels)), toward=htmlmod.escape(toward),
    )  # fmt: skip


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def headers(page: str) -> dict[str, str]:
    """The page's headers: only its own inline script and style run (by hash), calls go to its own origin."""
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert script is not None and style is not None
    policy = (
        f"default-src 'none'; script-src {_hash(script.group(1))}; style-src {_hash(style.group(1))}; "
        "connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return {**SECURITY_HEADERS, "Content-Security-Policy": policy}


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error", "reason"],
        "properties": {
            "error": {"type": "string", "description": "What is wrong, in a sentence."},
            "reason": {"type": "string", "description": "invalid_json, invalid_request, too_large, too_many_texts, "
                       "unauthorized, overloaded, stopping, not_found, method_not_allowed, model, internal"},
        },
    }  # fmt: skip


def openapi(labels: tuple[str, ...], settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3 description of the API (``GET /openapi.json``)."""
    from .. import __version__

    multiclass = len(labels) > 2
    record: dict[str, Any] = {
        "type": "object",
        "description": "What 'sentiment predict --format jsonl' writes for the text.",
        "required": ["source", "label", "probability"],
        "properties": {
            "source": {"type": "string", "example": "<request>:1", "description": "<request>:N, N counting from 1"},
            "id": {"description": "The text's id, when the request gave ids."},
            "label": {"type": "string", "nullable": True, "enum": [*labels, None],
                      "description": "null: the text holds no word or n-gram the model knows (it does not guess)."},
            "probability": {"type": "number", "nullable": True,
                            "description": f"Of {labels[1]}." if not multiclass else "Of the label."},
            "explanation": {"type": "array", "description": "With explain: each token's weight (log-odds).",
                            "items": {"type": "object", "properties": {
                                "token": {"type": "string"}, "start": {"type": "integer"},
                                "end": {"type": "integer"}, "weight": {"type": "number"},
                                "negated": {"type": "boolean"}}}},
            "explanation_base": {"type": "number", "nullable": True,
                                 "description": "With explain: the logit of a text the model knows nothing in."},
            "explanation_logit": {"type": "number", "nullable": True,
                                  "description": "With explain: base + the tokens' weights + rest."},
            "explanation_rest": {"type": "number", "nullable": True,
                                 "description": "With explain: the weight of tokens not listed (very long texts)."},
            "phrases": {"type": "array", "description": "With explain, hybrid models: the strongest phrases.",
                        "items": {"type": "object"}},
        },
    }  # fmt: skip
    if multiclass:
        record["properties"]["probabilities"] = {
            "type": "object", "properties": {name: {"type": "number", "nullable": True} for name in labels},
            "description": "Every class's probability.",
        }  # fmt: skip
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    secured = [{"bearer": []}] if settings.token_file else []
    json_ok = {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "sentiment serve", "version": __version__,
                 "description": f"Sentiment classification ({', '.join(labels)}) with dynamic batching."},
        "paths": {
            "/predict": {"post": {
                "summary": "Classify texts",
                "security": secured,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["texts"], "additionalProperties": False,
                    "properties": {
                        "texts": {"type": "array", "items": {"type": "string"}, "maxItems": settings.max_texts},
                        "ids": {"type": "array", "description": "One id (string, number or null) per text."},
                        "threshold": {"type": "number", "minimum": 0, "maximum": 1,
                                      "description": "Two-class models: of the second class (default: the card's)."},
                        "explain": {"type": "boolean", "default": False,
                                    "description": f"Per-word weights (at most {settings.max_explained} texts)."},
                    }}}}},
                "responses": {
                    "200": {"description": "One record per text, in order", "content": {"application/json": {
                        "schema": {"type": "object", "properties": {
                            "predictions": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}}}}}}},
                    "400": {"description": "Not JSON", "content": error},
                    "401": {"description": "No or wrong bearer token", "content": error},
                    "413": {"description": f"Body over {settings.max_body:,} bytes, or too many texts",
                            "content": error},
                    "422": {"description": "JSON of the wrong shape", "content": error},
                    "503": {"description": "Over capacity (see Retry-After) or shutting down", "content": error},
                },
            }},
            "/healthz": {"get": {"summary": "Liveness", "responses": json_ok}},
            "/readyz": {"get": {"summary": "Readiness: the model is loaded",
                                "responses": {**json_ok, "503": {"description": "Not ready"}}}},
            "/model": {"get": {"summary": "The model card's summary: classes, data, metrics, sha256",
                               "security": secured, "responses": json_ok}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "security": secured,
                                 "responses": {"200": {"description": "Prometheus text format"}}}},
            "/": {"get": {"summary": "A page to try the model", "responses": {"200": {"description": "HTML"}}}},
        },
        "components": {
            "schemas": {"Record": record, "Error": _error_schema()},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }  # fmt: skip


def docs_html(document: dict[str, Any]) -> str:
    """``/docs``: the routes of the OpenAPI document, and the document itself (no external script)."""
    rows = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{htmlmod.escape(path)}</code></td>"
                        f"<td>{htmlmod.escape(operation.get('summary', ''))}</td></tr>")  # fmt: skip
    body = htmlmod.escape(json.dumps(document, indent=2, ensure_ascii=False))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>sentiment serve: API</title></head>'
        '<body style="font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto">'
        f"<h1>{htmlmod.escape(document['info']['title'])} API</h1><p>{htmlmod.escape(document['info']['description'])}"
        ' The schema: <a href="openapi.json">openapi.json</a>.</p>'
        f'<table cellpadding="4">{"".join(rows)}</table><h2>OpenAPI document</h2><pre>{body}</pre></body></html>'
    )
