"""Drive the system's headless Chromium (Debian `chromium` + `chromium-driver`).

Used by the browser test and to take the docs screenshot. Playwright's own
browser download does not work offline, so only the distribution's packages
are used; `BrowserUnavailable` says what to install when they are missing.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

INSTALL_HINT = ("install Debian's chromium and chromium-driver (`apt-get install -y chromium "
                "chromium-driver`) and the dev extra (`pip install -e '.[dev]'` for selenium)")
_BROWSERS = ("CHROMIUM", "chromium", "chromium-browser", "google-chrome")


class BrowserUnavailable(RuntimeError):
    """No usable headless Chromium; the message names what to install."""


def find_binaries() -> tuple[str, str]:
    """(browser, chromedriver) paths; `$CHROMIUM` and `$CHROMEDRIVER` override the search.

    Raises:
        BrowserUnavailable: either binary or selenium is missing.
    """
    browser = os.environ.get("CHROMIUM") or next(
        (p for p in (shutil.which(b) for b in _BROWSERS[1:]) if p), None)
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", browser), ("chromedriver", driver)) if not path]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        raise BrowserUnavailable(f"headless browser unavailable (missing: {', '.join(missing)}); "
                                 + INSTALL_HINT)
    return str(browser), str(driver)


@contextmanager
def headless_chromium(width: int = 1400, height: int = 1000) -> Iterator[object]:
    """A Selenium Chrome driver on the system Chromium, isolated and offline-friendly.

    Browser console messages are collected (`driver.get_log("browser")`). The
    profile is a fresh temporary folder, removed afterwards.
    """
    browser, driver_path = find_binaries()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--disable-sync", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
                f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    except Exception as exc:
        shutil.rmtree(profile, ignore_errors=True)
        raise BrowserUnavailable(f"chromium did not start ({type(exc).__name__}: {exc}); "
                                 + INSTALL_HINT) from exc
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


_AUDIO_STATE_JS = """
const done = arguments[arguments.length - 1], limit = arguments[0];
const audios = Array.from(document.querySelectorAll('audio'));
const ready = a => a.readyState >= 1 || a.error;
const finish = () => done(audios.map(a => [a.getAttribute('src'), a.readyState, a.duration,
                                           a.error ? a.error.code : 0]));
const start = Date.now();
const poll = () => (audios.every(ready) || Date.now() - start > limit) ? finish() : setTimeout(poll, 50);
poll();
"""


def audio_states(driver, timeout_s: float = 10.0) -> list[tuple[str, int, float, int]]:
    """Wait until every <audio> has loaded its metadata (or failed), up to `timeout_s`.

    Returns:
        (src, readyState, duration in s, MediaError code or 0) per player, in page order.
    """
    driver.set_script_timeout(timeout_s + 5)
    return [tuple(s) for s in driver.execute_async_script(_AUDIO_STATE_JS, int(timeout_s * 1000))]


def screenshot(page: str | Path, png: str | Path, width: int = 1400, max_height: int = 1800) -> Path:
    """Save a PNG of `page` (an HTML file) `width` px wide, as tall as the page up to `max_height`."""
    png = Path(png)
    with headless_chromium(width, 1000) as driver:
        driver.get(Path(page).resolve().as_uri())
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(int(height) + 120, max_height))
        audio_states(driver)     # players show their durations
        png.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(png))
    return png
