"""Headless Chromium for the report tests: open a page from disk, list the images that did
not load, and keep a full-page screenshot (Playwright driving Debian's ``/usr/bin/chromium``;
``make test`` installs both)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: where screenshots are kept after the run (CI's artefacts)
ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts" / "screenshots"
# the probe's flags: no sandbox as root, and nothing that reaches for the network
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# an image is broken when it did not finish loading or has no pixels
BROKEN = (
    "Array.from(document.images)"
    ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'))"
)


def chromium() -> str | None:
    """The Chromium executable, or ``None`` when it is not installed."""
    return os.environ.get("ZOO_CHROMIUM") or shutil.which("chromium")


def open_page(page: Path, screenshot: str) -> tuple[list[str], int, Path]:
    """Load ``page`` headless; returns (broken image sources, images, the screenshot's path)."""
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / screenshot
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=FLAGS)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 900})
            tab.goto(page.resolve().as_uri(), wait_until="load")
            broken = tab.evaluate(BROKEN)
            count = tab.evaluate("document.images.length")
            tab.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    return broken, count, shot
