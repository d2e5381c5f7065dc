"""Every report opened in a real headless Chromium (screenshot not blank, every chart drawn with its series
and cells, no console error, no network request).

The browser is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages
ending in NUL on file descriptors 3 and 4), so the test needs Debian's ``chromium`` and nothing else.
"""

from __future__ import annotations

import io
import json
import os
import re
import select
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import runner
from sentiment_cli import reports
from sentiment_cli.bundle import REPORT_FILE
from sentiment_cli.cli import app
from sentiment_cli.evaluation import Evaluation, Run
from sentiment_cli.metrics import classification_metrics

EVALUATION_CHARTS = {"confusion", "roc", "pr", "reliability", "histogram"}


def made_up(k: int, n: int = 400, seed: int = 0) -> Evaluation:
    """An evaluation of ``k`` classes on ``n`` made-up reviews, its metrics from metrics.py."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.2
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    classes = ("negative", "positive") if k == 2 else ("negative", "neutral", "positive")
    metrics = classification_metrics(y, p[:, 1] if k == 2 else p, classes, threshold=0.5)
    texts = [f"review {i}" for i in range(n)]
    return Evaluation(
        metrics, classes, [f"made-up.csv:{i + 2}" for i in range(n)], texts, y, p, 0.5 if k == 2 else None,
        run=Run(source="made-up.csv", split="test", reviews_per_second=1000.0),
    )


def _chromium() -> str | None:
    return next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    binary = _chromium()
    if binary is None:
        pytest.skip("no chromium binary (apt-get install chromium)")
    opened = Browser(binary, tmp_path_factory.mktemp("chromium-profile"))
    yield opened
    opened.close()


DRAWN = """JSON.stringify([...document.querySelectorAll('figure[data-chart]')].map(f => {
  const ids = [...f.querySelectorAll('svg [id]')].map(e => e.id);
  const box = f.querySelector('svg').getBoundingClientRect();
  return {chart: f.dataset.chart, series: +f.dataset.series, cells: +f.dataset.cells,
          drawnSeries: new Set(ids.map(i => (i.match(/-series-(\\d+)/) || [])[1]).filter(Boolean)).size,
          drawnCells: ids.filter(i => /-cell-\\d+-\\d+$/.test(i)).length, width: box.width, height: box.height};
}))"""


def _look(browser: Browser, path: Path, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Open ``path``; check the page is not blank, nothing was fetched and nothing complained; return the charts."""
    url = path.resolve().as_uri()
    browser.open(url)
    charts = {c["chart"]: c for c in json.loads(browser.evaluate(DRAWN))}
    shot = browser.screenshot()
    (tmp_path / f"{path.stem}.png").write_bytes(shot)
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=np.float64)
    assert pixels.shape[0] > 900 and pixels.std() > 20, "the screenshot is blank"
    assert np.mean(pixels < 200) > 0.02, "hardly anything drawn"
    requests = [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]
    # data: URLs (matplotlib's inline colour-bar image) are part of the file; anything else is a fetch
    assert [u for u in requests if u != url and not u.startswith("data:")] == [], "the report fetched something"
    complaints = [e for e in browser.events if e.get("method") == "Runtime.exceptionThrown"]
    complaints += [e for e in browser.events if e.get("method") == "Runtime.consoleAPICalled"
                   and e["params"]["type"] in ("error", "assert", "warning")]  # fmt: skip
    complaints += [e for e in browser.events if e.get("method") == "Log.entryAdded"
                   and e["params"]["entry"]["level"] in ("error", "warning")]  # fmt: skip
    assert complaints == []
    for chart in charts.values():
        assert chart["width"] > 300 and chart["height"] > 150, chart
        assert chart["drawnSeries"] == chart["series"], chart
        assert chart["drawnCells"] == chart["cells"], chart
    return charts


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (fd 3: commands in, fd 4: replies out)."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_browser, self._in = os.pipe()
        self._out, from_browser = os.pipe()
        args = [
            binary, "--headless", "--remote-debugging-pipe", f"--user-data-dir={profile}", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update", "--hide-scrollbars", "--mute-audio",
            *(["--no-sandbox"] if os.geteuid() == 0 else []), "about:blank",
        ]  # fmt: skip
        devnull = os.open(os.devnull, os.O_RDWR)
        self.pid = os.posix_spawn(
            binary, args, os.environ,
            file_actions=[(os.POSIX_SPAWN_DUP2, to_browser, 3), (os.POSIX_SPAWN_DUP2, from_browser, 4),
                          (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)],
        )  # fmt: skip
        for fd in (to_browser, from_browser, devnull):
            os.close(fd)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=1280, height=900, deviceScaleFactor=1,
                  mobile=False)  # fmt: skip

    def _read(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out], [], [], left)[0]:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self._out, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: bool = False, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._in, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(timeout)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self._read(deadline - time.monotonic())
            self.events.append(event)
            if event.get("method") == method:
                return event
        raise TimeoutError(method)

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        import base64

        data = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True)["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (TimeoutError, RuntimeError, OSError):
            os.kill(self.pid, signal.SIGKILL)
        finally:
            os.waitpid(self.pid, 0)
            os.close(self._in)
            os.close(self._out)


@pytest.mark.slow
def test_reports_in_a_browser(
    browser: Browser, evaluated: dict[str, Any], three_class_model: Path, three_class_data: Path,
    tiny_model: Path, tmp_path: Path,
) -> None:  # fmt: skip
    charts = _look(browser, evaluated["dir"] / "report.html", tmp_path)
    assert set(charts) == EVALUATION_CHARTS
    assert charts["confusion"]["cells"] == 4 and charts["roc"]["series"] == 1 and charts["histogram"]["series"] == 2

    three = tmp_path / "three.html"
    result = runner.invoke(app, ["evaluate", str(three_class_data), "--model", str(three_class_model), "--report",
                                 str(three)])  # fmt: skip
    assert result.exit_code == 0, result.output
    charts = _look(browser, three, tmp_path)
    assert charts["confusion"]["cells"] == 9
    assert charts["roc"]["series"] == charts["pr"]["series"] == charts["histogram"]["series"] == 3

    charts = _look(browser, tiny_model / REPORT_FILE, tmp_path)
    assert set(charts) == {"history-0", "history-1", "balance", "lengths"}
    assert charts["history-0"]["series"] == 4 and charts["lengths"]["series"] == 3

    shipped = tmp_path / "shipped.html"
    result = runner.invoke(app, ["inspect", "--report", str(shipped)])
    assert result.exit_code == 0, result.output
    charts = _look(browser, shipped, tmp_path)
    assert set(charts) == {"history-0", "history-1", "balance", "lengths"}
    assert charts["balance"]["series"] == 3


@pytest.mark.slow
def test_browser_catches_what_it_should(browser: Browser, tmp_path: Path) -> None:
    """The checks fail on a page that fetches, throws or draws fewer series than it claims."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"><script>throw new Error("x")'
                   "</script></body></html>", encoding="utf-8")  # fmt: skip
    with pytest.raises(AssertionError):
        _look(browser, bad, tmp_path)
    html = reports.evaluation_report(made_up(2, n=60)).html()
    wrong = tmp_path / "wrong.html"
    wrong.write_text(re.sub(r'data-series="2"', 'data-series="3"', html), encoding="utf-8")
    with pytest.raises(AssertionError, match="drawnSeries"):
        _look(browser, wrong, tmp_path)
