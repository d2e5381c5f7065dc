"""``sentiment serve``: a real server process on a free port, called over real HTTP (urllib and raw sockets),
signalled as an orchestrator would; its page driven in headless Chromium.

Every test that starts a server is slow (a process loads the model, a few seconds each); the quick part (request
checks, the metrics format, the page's escaping, the missing extra) is tests/cli/test_serve.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from serve_requests import BAD

from conftest import make_reviews, make_three_class

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "An absolute masterpiece: moving, funny and beautifully shot.",
    "Dull, predictable and far too long. I wanted my money back.",
    "zzqx vbnm",  # nothing the model knows: label null
    "Not bad at all, the actors were great but the plot was thin.",
    "Ce film est magnifique 🎬 — un chef-d'œuvre.",
    "<b>bold</b> & \"quoted\" text\twith a tab",
    *[text for text, _ in make_reviews(20, seed=5)],
]


# -- a real server process -----------------------------------------------------------------------------------


class Server:
    """``sentiment serve --port 0 ARGS`` in a process of its own; output to files (a full pipe would block it)."""

    def __init__(self, tmp: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.out, self.err = tmp / "serve.out", tmp / "serve.err"
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sentiment_cli", "serve", "--port", "0", *args],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT, env={**os.environ, **(env or {})},
            )  # fmt: skip
        deadline = time.monotonic() + 90
        while not (found := re.search(r"at (http://127\.0\.0\.1:\d+)/", self.stderr())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the server did not start: {self.stderr()}")
            time.sleep(0.1)
        self.url = found.group(1)
        self.port = int(self.url.rsplit(":", 1)[1])
        while True:
            try:
                if call(self, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("not ready")
            time.sleep(0.1)

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def metric(self, name: str, headers: dict[str, str] | None = None) -> float:
        status, _, text = call(self, "GET", "/metrics", headers=headers)
        assert status == 200
        found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                return self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return self.process.returncode


def call(server: Server, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
         raw: bytes | None = None, timeout: float = 30) -> tuple[int, dict[str, str], Any]:  # fmt: skip
    """(status, headers, JSON body, or text when not JSON), over HTTP with urllib."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, answer_headers, payload = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, payload = error.code, dict(error.headers), error.read()
    text = payload.decode("utf-8")
    is_json = answer_headers.get("content-type", "").startswith("application/json")
    return status, {k.lower(): v for k, v in answer_headers.items()}, json.loads(text) if is_json else text


def predict(server: Server, body: Any, **kwargs: Any) -> tuple[int, Any]:
    status, _, answer = call(server, "POST", "/predict", body, **kwargs)
    return status, answer


def raw_http(server: Server, request: bytes, timeout: float = 30) -> bytes:
    """Send bytes as they are and read the whole answer (the server closes, or keeps alive: read what comes)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < _expected_length(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def _expected_length(answer: bytes) -> int:
    head, _, _ = answer.partition(b"\r\n\r\n")
    found = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
    return len(head) + 4 + (int(found.group(1)) if found else 0)


def cli_records(*args: str, texts: list[str]) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "sentiment_cli", "predict", "-", "--format", "jsonl", *args],
        input="\n".join(texts) + "\n", capture_output=True, text=True, encoding="utf-8", timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def same_as_cli(served: list[dict[str, Any]], written: list[dict[str, Any]]) -> None:
    """The server's records are the CLI's, but for ``<request>:N`` in place of ``<stdin>:N``."""
    assert len(served) == len(written)
    for n, (mine, theirs) in enumerate(zip(served, written, strict=True), 1):
        assert mine["source"] == f"<request>:{n}" and theirs["source"] == f"<stdin>:{n}"
        assert list(mine) == list(theirs)  # the same keys, in the same order
        assert {**mine, "source": None} == {**theirs, "source": None}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The shipped model, served with the defaults."""
    running = Server(tmp_path_factory.mktemp("serve"))
    yield running
    assert running.stop() == 0, running.stderr()


@pytest.fixture(scope="module")
def slow_batcher(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A batcher that waits 400 ms for company and takes 60 texts at most in flight: batching, overload
    and a client leaving are then deterministic."""
    running = Server(tmp_path_factory.mktemp("serve-slow"), "--max-wait-ms", "400", "--max-queue", "60")
    yield running
    assert running.stop() == 0, running.stderr()


# -- the contract ----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_predict_answers_what_predict_jsonl_writes(server: Server) -> None:
    status, answer = predict(server, {"texts": TEXTS})
    assert status == 200 and list(answer) == ["predictions"]
    same_as_cli(answer["predictions"], cli_records(texts=TEXTS))
    labels = [r["label"] for r in answer["predictions"]]
    assert labels[:3] == ["positive", "negative", None]
    assert answer["predictions"][2]["probability"] is None

    # explain, threshold and ids: the CLI's --explain, --threshold and an id column
    status, answer = predict(server, {"texts": TEXTS[:6], "explain": True, "threshold": 0.9})
    assert status == 200
    same_as_cli(answer["predictions"], cli_records("--explain", "--threshold", "0.9", texts=TEXTS[:6]))
    assert any(token["token"] == "masterpiece" for token in answer["predictions"][0]["explanation"])
    assert answer["predictions"][2]["explanation"] == []

    status, answer = predict(server, {"texts": TEXTS[:3], "ids": ["a", 7, None]})
    assert status == 200
    assert [(r["source"], r["id"]) for r in answer["predictions"]] == [("<request>:1", "a"), ("<request>:2", 7),
                                                                       ("<request>:3", None)]  # fmt: skip
    assert list(answer["predictions"][0]) == ["source", "id", "label", "probability"]
    assert predict(server, {"texts": []}) == (200, {"predictions": []})


@pytest.mark.slow
def test_a_multiclass_model_is_served_as_predict_writes_it(three_class_model: Path, tmp_path: Path) -> None:
    texts = [text for text, _ in make_three_class(12, seed=9)] + ["金銀銅 鉄鋼"]  # the last: nothing it knows
    running = Server(tmp_path, "--model", str(three_class_model))
    try:
        status, answer = predict(running, {"texts": texts})
        assert status == 200
        written = cli_records("--model", str(three_class_model), texts=texts)
        same_as_cli(answer["predictions"], written)
        assert set(answer["predictions"][0]["probabilities"]) == {"negative", "neutral", "positive"}
        assert answer["predictions"][-1]["probabilities"] == {"negative": None, "neutral": None, "positive": None}
        status, answer = predict(running, {"texts": texts, "threshold": 0.5})
        assert status == 422 and "two-class" in answer["error"]
        status, _, card = call(running, "GET", "/model")
        assert card["classes"] == ["negative", "neutral", "positive"] and card["threshold"] is None
    finally:
        assert running.stop() == 0


@pytest.mark.slow
def test_health_model_metrics_schema_and_docs(server: Server) -> None:
    assert call(server, "GET", "/healthz")[::2] == (200, {"status": "ok"})
    assert call(server, "GET", "/readyz")[::2] == (200, {"status": "ready"})
    status, _, card = call(server, "GET", "/model")
    shipped = json.loads((ROOT / "models" / "default" / "card.json").read_text())
    assert status == 200 and card["classes"] == ["negative", "positive"] and card["threshold"] == 0.5
    assert card["sha256"]["model.tflite"] == shipped["files"]["model.tflite"]["sha256"]
    assert card["metrics"]["test"]["accuracy"] == shipped["metrics"]["test"]["accuracy"]
    assert card["data"]["splits"] == shipped["data"]["splits"]
    assert "/work" not in json.dumps(card) and str(ROOT) not in json.dumps(card)  # no path of the server's

    before = server.metric("sentiment_reviews_total")
    assert predict(server, {"texts": TEXTS[:5]})[0] == 200
    assert predict(server, {"texts": "x"})[0] == 422
    status, headers, text = call(server, "GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    assert server.metric("sentiment_reviews_total") == before + 5
    assert re.search(r'^sentiment_requests_total\{method="POST",route="/predict",code="422"\} [1-9]', text, re.M)
    assert re.search(r'^sentiment_errors_total\{reason="invalid_request"\} [1-9]', text, re.M)
    assert re.search(r'^sentiment_request_duration_seconds_bucket\{le="\+Inf"\} [1-9]', text, re.M)
    assert re.search(r"^sentiment_batch_size_count [1-9]", text, re.M)

    status, _, document = call(server, "GET", "/openapi.json")
    assert status == 200 and document["openapi"].startswith("3.")
    assert set(document["paths"]) >= {"/predict", "/healthz", "/readyz", "/model", "/metrics"}
    assert document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "required"] == ["texts"]  # fmt: skip
    status, headers, docs = call(server, "GET", "/docs")
    assert status == 200 and "/predict" in docs and "<script" not in docs


# -- bad input: a 4xx naming the problem, and the server goes on ----------------------------------------------




@pytest.mark.slow
def test_bad_requests_get_a_json_error_naming_the_problem(server: Server) -> None:
    for body, status, reason, words in BAD:
        got, answer = predict(server, None, raw=body, headers={"Content-Type": "application/json"})
        assert (got, answer["reason"]) == (status, reason), (body[:60], answer)
        assert words in answer["error"], (body[:60], answer)
    assert call(server, "GET", "/nowhere")[::2] == (404, {"error": "no route /nowhere", "reason": "not_found"})
    status, _, answer = call(server, "GET", "/predict")
    assert status == 405 and answer["reason"] == "method_not_allowed"
    assert predict(server, {"texts": TEXTS[:1]})[1]["predictions"][0]["label"] == "positive"  # still serving


@pytest.mark.slow
def test_a_body_over_10_mib_is_refused_without_being_read(server: Server) -> None:
    limit = 10 * 1024 * 1024
    # declared too large: answered at once, nothing read
    answer = raw_http(server, b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              b"Content-Length: %d\r\n\r\n" % (limit + 1))  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 413 ") and b'"reason": "too_large"' in answer
    # not declared (chunked): read up to the limit, then refused; the rest is never read
    chunk = b"x" * (1024 * 1024)
    request = b"POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    request += b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(10)) + b"1\r\nx\r\n"
    answer = raw_http(server, request)
    assert answer.startswith(b"HTTP/1.1 413 ") and b"at most 10,485,760 are accepted" in answer
    # just under the limit is read (and refused for what it is, not for its size)
    status, answer = predict(server, None, raw=b" " * (limit - 12) + b'{"texts": 1}')
    assert (status, answer["reason"]) == (422, "invalid_request")
    assert predict(server, {"texts": ["fine"]})[0] == 200


# -- batching, capacity, clients that leave ---------------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_requests_share_one_model_call(slow_batcher: Server) -> None:
    batches = slow_batcher.metric("sentiment_batches_total")
    answers: list[Any] = [None] * 8

    def send(i: int) -> None:
        answers[i] = predict(slow_batcher, {"texts": TEXTS[i : i + 5]})

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 8 requests of 5 texts, arriving within the 400 ms wait: one call (two at most if the threads straggle)
    assert slow_batcher.metric("sentiment_batches_total") - batches <= 2
    for i, (status, answer) in enumerate(answers):  # each request gets its own texts' records, in order
        assert status == 200
        assert answer == predict(slow_batcher, {"texts": TEXTS[i : i + 5]})[1]


@pytest.mark.slow
def test_over_capacity_is_503_with_retry_after_not_a_queue(slow_batcher: Server) -> None:
    first: list[Any] = []
    waiting = threading.Thread(target=lambda: first.append(predict(slow_batcher, {"texts": ["good"] * 40})))
    waiting.start()
    time.sleep(0.15)  # the 40 texts wait for company (400 ms); 40 more would pass the bound of 60
    status, headers, answer = call(slow_batcher, "POST", "/predict", {"texts": ["bad"] * 40})
    waiting.join()
    assert status == 503 and answer["reason"] == "overloaded" and headers["retry-after"] == "1"
    assert first[0][0] == 200 and len(first[0][1]["predictions"]) == 40
    assert predict(slow_batcher, {"texts": ["bad"] * 40})[0] == 200  # room again


@pytest.mark.slow
def test_a_client_that_leaves_costs_nothing_after(slow_batcher: Server) -> None:
    reviews = slow_batcher.metric("sentiment_reviews_total")
    body = json.dumps({"texts": ["a review nobody will read"] * 30}).encode()
    with socket.create_connection(("127.0.0.1", slow_batcher.port)) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        time.sleep(0.1)  # read and queued, waiting 400 ms for company: then the client goes
    time.sleep(0.8)
    assert slow_batcher.metric("sentiment_queued_texts") == 0
    assert slow_batcher.metric('sentiment_errors_total{reason="disconnected"}') == 1
    assert slow_batcher.metric("sentiment_reviews_total") == reviews  # its texts never reached the model
    assert predict(slow_batcher, {"texts": ["still serving"]})[0] == 200


# -- shutdown -----------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_finishes_the_requests_in_flight_and_exits_0(signum: int, tmp_path: Path) -> None:
    running = Server(tmp_path, "--max-wait-ms", "1000")  # a request stays in flight for a second
    answers: list[Any] = []
    in_flight = threading.Thread(target=lambda: answers.append(predict(running, {"texts": TEXTS})))
    in_flight.start()
    time.sleep(0.3)
    started = time.monotonic()
    running.process.send_signal(signum)
    time.sleep(0.2)
    with pytest.raises(OSError):  # no new connection is taken
        call(running, "GET", "/healthz", timeout=2)
    code = running.process.wait(timeout=15)
    in_flight.join()
    assert code == 0, running.stderr()
    assert time.monotonic() - started < 10
    assert answers[0][0] == 200 and len(answers[0][1]["predictions"]) == len(TEXTS)
    assert running.stderr().rstrip().endswith("Stopped")


@pytest.mark.slow
def test_workers_share_the_port_and_stop_cleanly(tmp_path: Path) -> None:
    running = Server(tmp_path, "--workers", "2")
    try:
        answers = [predict(running, {"texts": TEXTS[:4]}) for _ in range(6)]
        assert all(status == 200 for status, _ in answers)
        assert all(answer == answers[0][1] for _, answer in answers)
        same_as_cli(answers[0][1]["predictions"], cli_records(texts=TEXTS[:4]))
    finally:
        assert running.stop() == 0, running.stderr()


# -- who may call it ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_token_and_cors(tmp_path: Path) -> None:
    token = "s3cret-token-0123456789"
    (tmp_path / "token").write_text(token + "\n")
    running = Server(tmp_path, "--token-file", str(tmp_path / "token"), "--cors", "https://app.example")
    try:
        status, headers, answer = call(running, "POST", "/predict", {"texts": ["x"]})
        assert status == 401 and answer["reason"] == "unauthorized" and headers["www-authenticate"].startswith("Bearer")
        for wrong in ("Bearer nope", f"Basic {token}", f"Bearer {token}x", token):
            assert predict(running, {"texts": ["x"]}, headers={"Authorization": wrong})[0] == 401
        good = {"Authorization": f"Bearer {token}"}
        assert predict(running, {"texts": ["great"]}, headers=good)[0] == 200
        assert call(running, "GET", "/metrics")[0] == 401 and call(running, "GET", "/model")[0] == 401
        assert call(running, "GET", "/metrics", headers=good)[0] == 200
        assert call(running, "GET", "/healthz")[0] == call(running, "GET", "/readyz")[0] == 200  # probes: no token
        assert 'id="token"' in call(running, "GET", "/")[2]

        preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization,content-type"}  # fmt: skip
        status, headers, _ = call(running, "OPTIONS", "/predict", headers=preflight)
        assert status == 200 and headers["access-control-allow-origin"] == "https://app.example"
        other = {**preflight, "Origin": "https://evil.example"}
        assert "access-control-allow-origin" not in call(running, "OPTIONS", "/predict", headers=other)[1]
    finally:
        assert running.stop() == 0


@pytest.mark.slow
def test_cors_is_off_by_default(server: Server) -> None:
    headers = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    status, answer_headers, _ = call(server, "OPTIONS", "/predict", headers=headers)
    assert status == 405 and "access-control-allow-origin" not in answer_headers
    status, answer_headers, _ = call(server, "POST", "/predict", {"texts": ["x"]}, headers={"Origin": "https://a.b"})
    assert status == 200 and "access-control-allow-origin" not in answer_headers


def run_cli(*args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    script = f"import sys\n{prelude}\nfrom sentiment_cli.cli import main\nsys.argv = ['sentiment', *{list(args)!r}]"
    script += "\nmain()"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.mark.slow
def test_a_taken_port_or_a_bad_token_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = run_cli("serve", "--port", str(taken.getsockname()[1]))
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert re.fullmatch(r"error: 127\.0\.0\.1:\d+: cannot listen \(address already in use\)\n", done.stderr)
    (tmp_path / "short").write_text("abc")
    done = run_cli("serve", "--token-file", str(tmp_path / "short"))
    assert done.returncode == 1 and "the token must be 16 to 4096 printable ASCII" in done.stderr
    done = run_cli("serve", "--token-file", str(tmp_path / "missing"))
    assert done.returncode == 1 and "cannot read the token (No such file or directory)" in done.stderr


# -- the page, in Chromium ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_page_in_a_browser(server: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    from test_browser import Browser, _chromium

    binary = _chromium()
    if binary is None:
        pytest.skip("no chromium binary (apt-get install chromium)")
    browser = Browser(binary, tmp_path_factory.mktemp("chromium-serve"))
    try:
        browser.open(server.url + "/")
        attack = "<img src=x onerror=\"window.pwned=1\">An absolute masterpiece, wonderful acting"
        typed = json.dumps("Dull and boring, the worst film.\n" + attack)
        browser.evaluate(f"document.getElementById('texts').value = {typed};"
                         "document.getElementById('per-line').checked = true;"
                         "document.getElementById('classify').click(); 0")  # fmt: skip
        deadline = time.monotonic() + 20
        while (shown := browser.evaluate("document.querySelectorAll('#results .result').length")) < 2:
            assert time.monotonic() < deadline, browser.evaluate("document.getElementById('status').textContent")
            time.sleep(0.1)
        assert shown == 2
        cards = json.loads(browser.evaluate(
            "JSON.stringify([...document.querySelectorAll('#results .result')].map(r => ({"
            "label: r.querySelector('.label').textContent, p: r.querySelector('.probability').textContent,"
            "text: r.querySelector('.text').textContent,"
            "coloured: [...r.querySelectorAll('.word')].filter(w => w.style.backgroundColor).length})))"
        ))  # fmt: skip
        assert [c["label"] for c in cards] == ["negative", "positive"]
        assert re.fullmatch(r"P\(positive\) 0\.\d{3}", cards[0]["p"]) and float(cards[0]["p"][-5:]) < 0.5
        assert cards[1]["text"] == attack  # shown as the text it is
        assert cards[0]["coloured"] >= 2 and cards[1]["coloured"] >= 2  # explain's words highlighted
        assert browser.evaluate("document.querySelectorAll('#results img').length") == 0
        assert browser.evaluate("window.pwned === undefined") is True
        assert browser.evaluate("document.getElementById('status').textContent") == "2 reviews classified."
        fetched = [e["params"]["request"]["url"] for e in browser.events
                   if e.get("method") == "Network.requestWillBeSent"]  # fmt: skip
        assert all(url.startswith(server.url) for url in fetched), fetched
        complaints = [e for e in browser.events if e.get("method") in ("Runtime.exceptionThrown",)
                      or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
        assert complaints == []
    finally:
        browser.close()
