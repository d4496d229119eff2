"""Headless Chromium for the report's browser tests, driven through the DevTools protocol.

Used by ``tests/test_report_security.py`` (no CIF script runs, nothing is fetched) and
``tests/test_report_browser.py`` (3D views draw, no console errors, tables fit). Debian's
``chromium`` (``.ci/run`` installs it); :func:`start` skips without it, and fails under
``CI=true``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


class Chromium:
    """Headless Chromium driven through the DevTools protocol on a pipe
    (``--remote-debugging-pipe``: commands on fd 3, replies on fd 4, NUL-separated JSON),
    with name resolution mapped to nothing, so no request can leave the machine.

    WebGL runs on the CPU (SwiftShader, ``--enable-unsafe-swiftshader``: the pages are
    the tests' own); ``console_errors`` lists what the page reported as an error (console
    errors, uncaught exceptions, failed loads of the browser's log).
    """

    def __init__(self, binary: str, profile: Path, *, width: int = 1280, height: int = 900) -> None:
        to_browser, self._send_fd = os.pipe()
        self._recv_fd, from_browser = os.pipe()

        def wire() -> None:  # in the child, before exec
            os.dup2(to_browser, 3)
            os.dup2(from_browser, 4)

        args = [
            binary, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-quic",
            "--disable-extensions", "--disable-default-apps", "--enable-unsafe-swiftshader",
            f"--window-size={width},{height}", "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}", "about:blank",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args,
            pass_fds=(3, 4),
            preexec_fn=wire,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._id = 0
        self._replies: dict[int, queue.Queue] = {}
        self.events: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=self.session)
        self.resize(width, height)

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._recv_fd, 1 << 16):
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if message.get("id") in self._replies:
                    self._replies.pop(message["id"]).put(message)
                else:
                    self.events.append(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        reply: queue.Queue = queue.Queue()
        self._replies[self._id] = reply
        os.write(self._send_fd, json.dumps(message).encode() + b"\0")
        answer = reply.get(timeout=60)
        assert "error" not in answer, (method, answer["error"])
        return answer.get("result", {})

    def resize(self, width: int, height: int) -> None:
        """The page's viewport (CSS pixels, device scale 1)."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=self.session,
        )

    def evaluate(self, expression: str):
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def load(self, url: str) -> int:
        """Navigate to ``url`` and wait for its load event; returns the index of the first
        event of this page in :attr:`events`."""
        start = len(self.events)
        self.send("Page.navigate", {"url": url}, session=self.session)
        deadline = time.monotonic() + 30
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events[start:]):
            assert time.monotonic() < deadline, f"{url} did not load"
            time.sleep(0.02)
        return start

    def console_errors(self, start: int = 0) -> list[str]:
        """Errors the page reported since event ``start``: ``console.error``, uncaught
        exceptions, and error entries of the browser's log (a failed load, a CSP refusal)."""
        found = []
        for e in self.events[start:]:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description", ""))) for a in
                                      params.get("args", [])))  # fmt: skip
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(details.get("exception", {}).get("description") or details.get("text"))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(params["entry"].get("text", ""))
        return found

    def requests(self, start: int = 0) -> list[str]:
        """Every URL requested since event ``start``."""
        return [
            e["params"]["request"]["url"]
            for e in self.events[start:]
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def failed_loads(self, start: int = 0) -> list[str]:
        """Requests since event ``start`` that failed (a file that is not there)."""
        ids = {
            e["params"]["requestId"]: e["params"]["request"]["url"]
            for e in self.events[start:]
            if e.get("method") == "Network.requestWillBeSent"
        }
        return [
            ids.get(e["params"]["requestId"], "?") + f" ({e['params'].get('errorText', '')})"
            for e in self.events[start:]
            if e.get("method") == "Network.loadingFailed"
        ]

    def visit(self, url: str) -> dict:
        """Load ``url``, click every element that is not a link or control, and report
        the title, dialogs, ``javascript:`` links and every URL the page requested."""
        start = self.load(url)
        clicks = self.evaluate(
            "(() => { let n = 0; for (const el of document.querySelectorAll('body *')) {"
            " if (el.closest('a, button, input, label, select, textarea, form')) continue;"
            " el.dispatchEvent(new MouseEvent('click', {bubbles: false, cancelable: true}));"
            " n++; } return n; })()"
        )
        time.sleep(0.2)
        state = self.evaluate(
            "({title: document.title, links: [...document.querySelectorAll('[href]')]"
            ".map(a => a.getAttribute('href')).filter(h => /^\\s*javascript:/i.test(h))})"
        )
        events = self.events[start:]
        state["clicked"] = clicks
        state["dialogs"] = [e for e in events if e.get("method") == "Page.javascriptDialogOpening"]
        state["requests"] = self.requests(start)
        return state

    def search(self, index: Path, word: str) -> list[str]:
        """Material's search from ``file://`` (``?q=`` opens it): the result titles."""
        start = len(self.events)
        self.send("Page.navigate", {"url": f"{index.as_uri()}?q={word}"}, session=self.session)
        deadline = time.monotonic() + 30
        titles: list[str] = []
        while time.monotonic() < deadline and not titles:
            time.sleep(0.2)
            if any(e.get("method") == "Page.loadEventFired" for e in self.events[start:]):
                titles = self.evaluate(
                    "[...document.querySelectorAll('.md-search-result__item h1, "
                    ".md-search-result__item h2')].map(h => h.textContent)"
                )
        return titles

    def wait_for(self, expression: str, timeout: float = 20.0):
        """Evaluate ``expression`` until it is truthy; return its value (falsy at timeout)."""
        deadline = time.monotonic() + timeout
        value = self.evaluate(expression)
        while not value and time.monotonic() < deadline:
            time.sleep(0.1)
            value = self.evaluate(expression)
        return value

    def canvas_pixels(self, element: str):
        """The pixels (RGBA numpy array) of the canvas inside ``element`` (a JavaScript
        expression giving an element), as the page drew it (``toDataURL``), or None when
        there is none."""
        import numpy as np
        from PIL import Image

        url = self.evaluate(
            f"(() => {{ const c = ({element}).querySelector('canvas');"
            " return c ? c.toDataURL('image/png') : null; })()"
        )
        if not url:
            return None
        with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as image:
            return np.asarray(image.convert("RGBA"))

    def close(self) -> None:
        with contextlib.suppress(AssertionError, OSError, queue.Empty):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._send_fd)


def binary() -> str:
    """Debian's Chromium, else skip (fail under ``CI=true``, where ``.ci/run`` installs it)."""
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    if found := shutil.which("chromium"):
        return found
    why = f"{CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(why)
    pytest.skip(why)


def start(profile: Path, **size) -> Chromium:
    """A :class:`Chromium` with a fresh profile in ``profile`` (skips without Chromium)."""
    return Chromium(binary(), profile, **size)
