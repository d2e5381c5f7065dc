"""``sentiment serve``'s quick part, no server started: the missing extra, request parsing, the metrics
format and the page's own code. The real server's tests are in tests/system/test_serve_server.py."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from serve_requests import BAD

ROOT = Path(__file__).resolve().parents[2]




def run_cli(*args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    script = f"import sys\n{prelude}\nfrom sentiment_cli.cli import main\nsys.argv = ['sentiment', *{list(args)!r}]"
    script += "\nmain()"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_without_the_extra_serve_says_how_to_get_it() -> None:
    done = run_cli("serve", prelude="sys.modules['uvicorn'] = None  # as if not installed")
    assert done.returncode == 1
    assert done.stderr == ("error: serving needs uvicorn, which is not installed "
                           "(pip install 'sentiment-cli[serve]')\n")  # fmt: skip


def test_parse_names_each_problem() -> None:
    from sentiment_cli.serving import Settings
    from sentiment_cli.serving.app import Refused, parse

    settings = Settings()
    binary = ("negative", "positive")
    assert parse(b'{"texts": ["a", "b"], "ids": [1, "x"], "threshold": 0.7, "explain": true}', settings,
                 binary) == (["a", "b"], [1, "x"], 0.7, True)  # fmt: skip
    assert parse(b'{"texts": []}', settings, binary) == ([], None, None, False)
    for body, status, reason, words in BAD:
        with pytest.raises(Refused) as refused:
            parse(body, settings, binary)
        assert (refused.value.status, refused.value.reason) == (status, reason), body[:60]
        assert words in refused.value.message, body[:60]
    with pytest.raises(Refused, match="two-class"):
        parse(b'{"texts": ["a"], "threshold": 0.5}', settings, ("a", "b", "c"))


def test_metrics_are_prometheus_text() -> None:
    from sentiment_cli.serving.metrics import Metrics

    metrics = Metrics()
    metrics.requests[("POST", "/predict", 200)] += 3
    metrics.errors["overloaded"] += 2
    for seconds in (0.003, 0.02, 0.02, 7.0):
        metrics.latency.observe(seconds)
    metrics.batch_sizes.observe(40)
    text = metrics.text()
    assert 'sentiment_requests_total{method="POST",route="/predict",code="200"} 3' in text
    assert 'sentiment_errors_total{reason="overloaded"} 2' in text
    assert 'sentiment_request_duration_seconds_bucket{le="0.005"} 1' in text
    assert 'sentiment_request_duration_seconds_bucket{le="0.025"} 3' in text
    assert 'sentiment_request_duration_seconds_bucket{le="5.0"} 3' in text
    assert 'sentiment_request_duration_seconds_bucket{le="+Inf"} 4' in text
    assert "sentiment_request_duration_seconds_count 4" in text
    assert 'sentiment_batch_size_bucket{le="32.0"} 0' in text and 'sentiment_batch_size_bucket{le="64.0"} 1' in text
    for line in text.splitlines():  # every line a comment or `name{labels} number`
        assert line.startswith("# ") or re.fullmatch(r'[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? \S+', line)
        if not line.startswith("#"):
            float(line.rsplit(" ", 1)[1])


def test_the_page_runs_only_its_own_code() -> None:
    from sentiment_cli.serving import page

    html = page.html(("neg", 'pos"<x>'))
    policy = page.headers(html)["Content-Security-Policy"]
    assert "script-src 'sha256-" in policy and "unsafe-inline" not in policy and "connect-src 'self'" in policy
    assert "<script src" not in html and "http" not in html.replace("http-equiv", "")  # nothing fetched
    assert 'data-labels="[&quot;neg&quot;, &quot;pos\\&quot;&lt;x&gt;&quot;]"' in html  # a class name stays text
    assert "innerHTML" not in html and "insertAdjacentHTML" not in html and "document.write" not in html
