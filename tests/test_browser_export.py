"""Real-browser test of slide export (marker ``browser``): a chart's PNG, made by kaleido on click.

Uses the served dashboard of the browser tests (the ``dashboard_server`` fixture of
tests/conftest.py: skipped with a reason when /usr/bin/chromium is missing, a failure under CI). Opens the
"Export for slides" popover under the Compare page's first chart, clicks PNG and checks that
the download is a 1920×1080 PNG; then 1280×720. The file goes to ``artifacts/slide_export.png``.
"""

from __future__ import annotations

import struct

import pytest
from siyu_harness import CHROMIUM, ROOT
from test_browser import ARGS, _assert_no_errors, _wait_idle

pytestmark = pytest.mark.browser


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    return struct.unpack(">II", data[16:24])


def _popover(page):
    """The first chart's export popover, opened afresh (closed first, as a rerun may leave it either way)."""
    body = page.locator('[data-testid="stPopoverBody"]:visible').first
    page.keyboard.press("Escape")
    body.wait_for(state="hidden", timeout=30_000)
    page.get_by_role("button", name="Export for slides").first.click()
    body.wait_for(state="visible", timeout=60_000)
    return body


def test_a_chart_exports_as_a_slide_png(dashboard_server):
    from playwright.sync_api import sync_playwright

    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 2000}, accept_downloads=True)
            page.goto(dashboard_server, timeout=60_000)
            page.wait_for_selector(".js-plotly-plot", timeout=180_000)
            _wait_idle(page)
            for label, size in (("1920 × 1080", (1920, 1080)), ("1280 × 720", (1280, 720))):
                _popover(page).get_by_text(label, exact=True).click()
                _wait_idle(page)
                with page.expect_download(timeout=120_000) as dl:
                    _popover(page).get_by_role("button", name="PNG").click()
                data = open(dl.value.path(), "rb").read()
                assert _png_size(data) == size
                assert dl.value.suggested_filename.endswith(f"{size[0]}x{size[1]}.png")
                if size == (1920, 1080):
                    (artifacts / "slide_export.png").write_bytes(data)
            _assert_no_errors(page)
        finally:
            browser.close()
