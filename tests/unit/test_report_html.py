"""authload.html: self-contained, a section with charts for every step and flow, small."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from authload.report import html_report, write_reports

from .report_fixtures import FLOWS, STARTED_AT, STEPS, figures, series, summary


class _Page(HTMLParser):
    """What a browser would fetch (src/href), the entries, and the charts in each."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.entries: dict[str, int] = {}
        self.current = ""
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.add(tag)
        self.links += [v or "" for k, v in attrs if k in ("src", "href", "action", "srcset", "data")]
        if tag == "section" and values.get("data-entry"):
            self.current = values["data-entry"] or ""
            self.entries[self.current] = 0
        if tag == "svg" and self.current:
            self.entries[self.current] += 1


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def test_every_step_and_flow_has_its_charts_and_nothing_is_fetched() -> None:
    run = summary({"login_auth_token.p95": "< 100ms", "total.error_rate": "< 5%"}, figures(failures=3))
    text = html_report(run, {"locust_version": "2.47.0", "load": {"users": 4}}, series(), STARTED_AT)
    page = parse(text)
    expected = {f"step-{name}" for name in STEPS} | {f"cycle-{name}" for name in FLOWS}
    assert set(page.entries) == expected
    assert all(count == 4 for count in page.entries.values())  # percentiles, rates, errors, distribution
    assert page.links == [] and "script" not in page.tags and "@import" not in text
    assert not re.search(r"url\(|https?://(?!www\.w3\.org/2000/svg)", text)
    assert 'id="verdict"' in text and "FAIL: 1 of 2 thresholds failed (login_auth_token.p95)" in text
    assert "<td>120ms</td>" in text and "<td>&lt; 100ms</td>" in text
    assert "2.47.0" in text and "users 4" in text


def test_an_hour_long_run_makes_a_small_page() -> None:
    run = summary({"total.error_rate": "< 5%"})
    text = html_report(run, {}, series(seconds=3600, per_second=5), STARTED_AT)
    assert len(text.encode()) < 400_000
    assert "interval 32 s" in text


def test_written_with_the_other_files_and_redacted(tmp_path: Path) -> None:
    run = summary({"total.error_rate": "< 5%"})
    run.error = "token u1_1630306819c3027ce530b2367f3c97b4106f0cb8 and supersecretvalue"
    write_reports(run, tmp_path, ["supersecretvalue"], series=series(seconds=3), started_at=STARTED_AT)
    text = (tmp_path / "authload.html").read_text()
    assert run.files["report"] == "authload.html"
    assert "supersecretvalue" not in text and "c3027ce530b2367f" not in text
    assert "<section" in text and "no time series recorded" not in text


def test_an_entry_without_series_says_so() -> None:
    text = html_report(summary({}), {}, {}, STARTED_AT)
    assert text.count("no time series recorded for this entry") == len(STEPS) + len(FLOWS)
