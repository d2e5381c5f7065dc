"""Bad request bodies for sentiment serve, with the status, reason and words each answer must give: checked
against the app in process (tests/cli) and against a real server (tests/system)."""

from __future__ import annotations

import json

BAD = [
    (b"{bad", 400, "invalid_json", "not valid JSON"),
    (b"", 400, "invalid_json", "empty"),
    (b'{"texts": [NaN]}', 400, "invalid_json", "NaN"),
    (b"\xff\xfe{", 400, "invalid_json", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, 400, "invalid_json", "nested too deeply"),
    (b'["a"]', 422, "invalid_request", "must be a JSON object"),
    (b'{"text": ["a"]}', 422, "invalid_request", 'unknown field "text"'),
    (b'{"ids": [1]}', 422, "invalid_request", '"texts" is missing'),
    (b'{"texts": "a"}', 422, "invalid_request", '"texts" must be a list of strings, not a string'),
    (b'{"texts": ["a", 3]}', 422, "invalid_request", '"texts"[1] is a number, not a string'),
    (b'{"texts": ["a", null]}', 422, "invalid_request", '"texts"[1] is null'),
    (b'{"texts": ["\\ud800"]}', 422, "invalid_request", "lone surrogate"),
    (b'{"texts": ["a"], "ids": [1, 2]}', 422, "invalid_request", '"ids" must be a list as long as "texts"'),
    (b'{"texts": ["a"], "ids": [{"x": 1}]}', 422, "invalid_request", '"ids"[0] is an object'),
    (b'{"texts": ["a"], "threshold": 2}', 422, "invalid_request", '"threshold" must be a number from 0 to 1'),
    (b'{"texts": ["a"], "threshold": true}', 422, "invalid_request", '"threshold" must be a number'),
    (b'{"texts": ["a"], "explain": "yes"}', 422, "invalid_request", '"explain" must be true or false'),
    (json.dumps({"texts": ["a"] * 1001}).encode(), 413, "too_many_texts", "at most 1,000 per request"),
    (json.dumps({"texts": ["a"] * 65, "explain": True}).encode(), 413, "too_many_texts", "at most 64"),
]
