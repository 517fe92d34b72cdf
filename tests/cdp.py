"""A small synchronous Chrome DevTools Protocol client for the browser tests (no playwright here).

Starts headless Debian chromium with the flags the team uses, an empty profile and a free debugging port, drives
one page over a websocket (`websockets.sync`), records every network request the page makes and every console
error, exception and CSP violation, and takes screenshots. Everything is bounded by timeouts; `close()` ends the
browser it started (and only that one).
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
KEYS = {
    "Tab": ("Tab", 9), "Enter": ("Enter", 13), "ArrowDown": ("ArrowDown", 40), "ArrowUp": ("ArrowUp", 38),
    "Escape": ("Escape", 27), "Space": (" ", 32), "ArrowRight": ("ArrowRight", 39),
}  # fmt: skip


def available() -> bool:
    return Path(CHROMIUM).exists()


class Browser:
    def __init__(self, width: int = 1280, height: int = 1000, timeout: float = 30.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="cdp-profile-")
        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.time() + timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=timeout)
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    # -- protocol ---------------------------------------------------------------------------------------------
    def send(self, method: str, **params):
        i = next(self.ids)
        self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        deadline = time.time() + self.timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.time())))
            if msg.get("id") == i:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def js(self, expression: str):
        r = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression[:80]}: {r['exceptionDetails'].get('text')} "
                               f"{r['exceptionDetails'].get('exception', {}).get('description', '')}")  # fmt: skip
        return r["result"].get("value")

    def wait(self, expression: str, timeout: float | None = None):
        deadline = time.time() + (timeout or self.timeout)
        last = None
        while time.time() < deadline:
            last = self.js(expression)
            if last:
                return last
            time.sleep(0.1)
        raise TimeoutError(f"waited {timeout or self.timeout}s for: {expression} (last: {last!r})")

    def goto(self, url: str, ready: str | None = None, timeout: float | None = None):
        self.send("Page.navigate", url=url)
        self.wait("document.readyState === 'complete'", timeout)
        if ready:
            self.wait(ready, timeout)

    def idle(self, quiet: float = 0.6, timeout: float | None = None):
        """Wait until Dash has no callback in flight and no request started for `quiet` seconds."""
        deadline = time.time() + (timeout or self.timeout)
        while time.time() < deadline:
            n = len(self.requests())
            time.sleep(quiet)
            self.js("1")  # drain events
            busy = self.js("!!document.querySelector('[data-dash-is-loading=\"true\"]')")
            if len(self.requests()) == n and not busy:
                return
        raise TimeoutError("page did not settle")

    def key(self, name: str, times: int = 1, shift: bool = False):
        key, code = KEYS[name]
        for _ in range(times):
            params = {"key": key, "code": name if name != "Space" else "Space", "windowsVirtualKeyCode": code,
                      "modifiers": 8 if shift else 0}  # fmt: skip
            down = {
                **params,
                **({"text": "\r"} if name == "Enter" else {"text": " "} if name == "Space" else {}),
            }
            self.send("Input.dispatchKeyEvent", type="keyDown", **down)
            self.send("Input.dispatchKeyEvent", type="keyUp", **params)

    def type_keys(self, text: str):
        """Type letters as key presses (a widget that opens on a keystroke sees them; insertText it would not)."""
        for ch in text:
            code = f"Key{ch.upper()}" if ch.isalpha() else ""
            params = {"key": ch, "code": code, "windowsVirtualKeyCode": ord(ch.upper())}
            self.send("Input.dispatchKeyEvent", type="keyDown", text=ch, **params)
            self.send("Input.dispatchKeyEvent", type="keyUp", **params)

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            h = self.js("Math.min(document.documentElement.scrollHeight, 12000)")
            w = self.js("document.documentElement.scrollWidth")
            params["clip"] = {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}
        data = self.send("Page.captureScreenshot", **params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    # -- what the page did -------------------------------------------------------------------------------------
    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and CSP violations the page reported."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(
                    "exception: "
                    + p["exceptionDetails"]
                    .get("exception", {})
                    .get("description", p["exceptionDetails"].get("text", ""))
                )
            elif m == "Runtime.consoleAPICalled" and p.get("type") == "error":
                out.append(
                    "console.error: "
                    + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                )
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(
                    f"log ({p['entry'].get('source')}): {p['entry'].get('text')} {p['entry'].get('url', '')}"
                )
        return out

    def close(self):
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            shutil.rmtree(self.profile, ignore_errors=True)
