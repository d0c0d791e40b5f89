"""Open a local HTML file in headless Chromium, offline, and report what happened.

A minimal DevTools-protocol client over ``--remote-debugging-pipe`` (standard library
only: messages are NUL-terminated JSON on file descriptors 3 and 4). Used by
tests/report/test_report_browser.py; run as a script to refresh the README screenshot:

    python -m tests.chromium results/peer_support/report.html docs/report_screenshot.png importance
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--disable-extensions", "--mute-audio",
         "--hide-scrollbars", "--remote-debugging-pipe",
         # networking off: no name resolves and every proxied request goes nowhere
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
         "--proxy-bypass-list=<-loopback>"]

PROBE = """JSON.stringify({
  title: document.title,
  images: Array.from(document.images).map(i => ({
    src: i.getAttribute('src').slice(0, 30), complete: i.complete,
    width: i.naturalWidth, height: i.naturalHeight, shown: i.getBoundingClientRect().width})),
  ranking_rows: Array.from(document.querySelectorAll('#ranking tbody tr')).map(
    r => r.cells[0].textContent),
  external: Array.from(document.querySelectorAll('[src],[href]')).map(
    e => e.getAttribute('src') || e.getAttribute('href')).filter(
    u => !(u.startsWith('data:') || u.startsWith('#'))),
  scripts: document.querySelectorAll('script').length,
  height: document.documentElement.scrollHeight
})"""


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium with a DevTools pipe."""

    def __init__(self, executable: str, width: int = 1280, height: int = 1600):
        self.profile = tempfile.mkdtemp(prefix="dce-chromium-")
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()

        def wire():  # in the child: fd 3 reads our commands, fd 4 carries the replies
            high_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(out_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.proc = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire, close_fds=False)
        os.close(cmd_r)
        os.close(out_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    # ----- protocol -------------------------------------------------------------------
    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._next(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            e = self._next(deadline)
            if e.get("method") == method:
                return e
            self.events.append(e)

    def _next(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from Chromium")
            ready, _, _ = select.select([self._out_r], [], [], left)
            if ready:
                chunk = os.read(self._out_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - the process is ended below anyway
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._cmd_w, self._out_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


def open_page(html: Path, screenshot: Path | None = None, executable: str | None = None,
              width: int = 1280, height: int = 1600, anchor: str | None = None) -> dict:
    """Load ``html`` offline; return requests, failures, console errors and a DOM probe.

    With ``screenshot``, also write a PNG of ``width`` x ``height`` pixels: the top of the
    page, or from the element with id ``anchor``.
    """
    executable = executable or find_browser()
    if executable is None:
        raise FileNotFoundError("no Chromium found (" + ", ".join(BROWSERS) + ")")
    b = Browser(executable, width, height)
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = b.send("Target.attachToTarget", {"targetId": target,
                                                   "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            b.send(f"{domain}.enable", session=session)
        b.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                    "downloadThroughput": -1,
                                                    "uploadThroughput": -1},
               session=session)
        b.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                      "deviceScaleFactor": 1,
                                                      "mobile": False}, session=session)
        b.send("Page.navigate", {"url": html.resolve().as_uri()}, session=session)
        b.wait_for("Page.loadEventFired", timeout=60)
        probe = json.loads(b.send("Runtime.evaluate", {"expression": PROBE,
                                                       "returnByValue": True},
                                  session=session)["result"]["value"])
        if screenshot is not None:
            params = {"format": "png"}
            if anchor:
                top = b.send("Runtime.evaluate", {
                    "expression": f"document.getElementById({json.dumps(anchor)})"
                                  ".getBoundingClientRect().top + window.scrollY",
                    "returnByValue": True}, session=session)["result"]["value"]
                params.update(captureBeyondViewport=True, clip={
                    "x": 0, "y": max(0, top - 10), "width": width, "height": height,
                    "scale": 1})
            shot = b.send("Page.captureScreenshot", params, session=session)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        events = [e for e in b.events if e.get("sessionId") == session]
    finally:
        b.close()
    requests = [e["params"]["request"]["url"] for e in events
                if e.get("method") == "Network.requestWillBeSent"]
    failed = [e["params"] for e in events if e.get("method") == "Network.loadingFailed"]
    errors = [e["params"] for e in events
              if e.get("method") == "Runtime.exceptionThrown"
              or (e.get("method") == "Log.entryAdded"
                  and e["params"]["entry"].get("level") == "error")]
    return {"requests": requests, "failed": failed, "errors": errors, **probe}


if __name__ == "__main__":
    page, out = Path(sys.argv[1]), Path(sys.argv[2])
    result = open_page(page, out, anchor=sys.argv[3] if len(sys.argv) > 3 else None)
    result["requests"] = [u[:60] for u in result["requests"]]
    print(json.dumps(result, indent=2))
