# -*- coding: utf-8 -*-
"""report.html in a real browser: headless Chromium through selenium.

Opens the page from file://, checks there are no console errors, that a
header click sorts the router table (mouse and keyboard), that the plots hold
data points, that the injected <script> in a tunnel description stayed text,
and saves screenshots under tests/output/ for a human to look at.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils.report import (
    build_report,
    natural_key,
    render_html,
)

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "assessments")
OUTPUT = os.path.join(os.path.dirname(HERE), "output")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed in the virtualenv")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip("headless browser test needs %s and %s (Debian packages chromium and chromium-driver)"
                % (CHROMIUM, CHROMEDRIVER), allow_module_level=True)


def load_fleet():
    fleet = {}
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.json"))):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        fleet[data["host"]] = data
    fleet["lab-3"] = None
    return fleet


@pytest.fixture(scope="module")
def driver():
    profile = tempfile.mkdtemp(prefix="ipsec-spi-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--user-data-dir=%s" % profile, "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    browser = webdriver.Chrome(options=options, service=service)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    report = build_report(load_fleet(), mode="auto", meta={"title": "Fleet audit (fixtures)"},
                          reasons={"lab-3": "host unreachable (no assessment)"})
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path.as_uri(), report


def open_page(driver, uri):
    driver.get(uri)
    driver.get_log("browser")  # drop anything logged by earlier pages
    driver.refresh()


def severe(driver):
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def table_hosts(driver):
    return [row.get_attribute("data-host") for row in driver.find_elements(By.CSS_SELECTOR, "#router-table tbody tr")]


def full_screenshot(driver, name):
    os.makedirs(OUTPUT, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(height, 800), 6000))
    path = os.path.join(OUTPUT, name)
    driver.save_screenshot(path)
    driver.set_window_size(1400, 1000)
    return path


def test_page_loads_without_console_errors_or_network(driver, page):
    uri, report = page
    open_page(driver, uri)
    assert severe(driver) == []
    assert driver.title == "Fleet audit (fixtures)"
    # Self-contained: the page loads nothing besides itself.
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    banner = driver.find_element(By.ID, "mode-banner")
    assert "DRY RUN" in banner.text and "dry_run" in banner.get_attribute("class")
    cards = driver.find_elements(By.CSS_SELECTOR, ".cards .card")
    assert {c.find_element(By.CLASS_NAME, "l").text.lower(): c.find_element(By.CLASS_NAME, "n").text
            for c in cards}["non-compliant"] == str(report["summary"]["non_compliant"])


def test_header_click_sorts_the_router_table(driver, page):
    uri, report = page
    open_page(driver, uri)
    hosts = sorted((r["host"] for r in report["routers"]), key=natural_key)
    default = table_hosts(driver)
    assert default[0] in ("lab-3", "spoke-9")  # not assessed first, then non-compliant
    router_button = driver.find_element(By.CSS_SELECTOR, "#router-table thead th:nth-child(1) button")
    router_button.click()
    assert table_hosts(driver) == hosts
    header = driver.find_element(By.CSS_SELECTOR, "#router-table thead th:nth-child(1)")
    assert header.get_attribute("aria-sort") == "ascending"
    router_button.click()
    assert table_hosts(driver) == hosts[::-1]
    assert header.get_attribute("aria-sort") == "descending"

    # Numeric column, driven from the keyboard (the header is a real button).
    drops_button = driver.find_element(By.CSS_SELECTOR, "#router-table thead th:nth-child(8) button")
    drops_button.send_keys(Keys.ENTER)
    by_drops = sorted(report["routers"], key=lambda r: (
        r["counts"]["invalid_spi_packets"] if r["counts"]["invalid_spi_packets"] is not None else -1,
        natural_key(r["host"])))
    assert table_hosts(driver) == [r["host"] for r in by_drops]
    drops_button.send_keys(Keys.SPACE)
    assert table_hosts(driver)[:2] == ["hub-1", "dc-edge-2"]
    assert severe(driver) == []


def test_plots_hold_the_data(driver, page):
    uri, report = page
    open_page(driver, uri)
    timeline = driver.find_element(By.CSS_SELECTOR, "#h-timeline ~ svg.timeline")
    points = timeline.find_elements(By.CSS_SELECTOR, "circle.pt")
    hub = next(r for r in report["routers"] if r["host"] == "hub-1")
    assert len(points) == len(hub["assessment"]["events"]) == 8
    persistent = timeline.find_elements(By.CSS_SELECTOR, "circle.pt-persistent")
    assert len(persistent) == 4
    assert persistent[0].value_of_css_property("fill") == "rgb(198, 40, 40)"
    transient = timeline.find_elements(By.CSS_SELECTOR, "circle.pt-transient")
    foreign = timeline.find_elements(By.CSS_SELECTOR, "circle.pt-foreign")
    assert (len(transient), len(foreign)) == (1, 3)
    assert transient[0].value_of_css_property("fill") != persistent[0].value_of_css_property("fill")
    # Later messages of a flow are further right.
    xs = [float(p.get_attribute("cx")) for p in persistent]
    assert xs == sorted(xs) and xs[0] < xs[-1]
    legend = driver.find_element(By.CSS_SELECTOR, "#h-timeline ~ ul.legend").text
    assert "persistent" in legend and "transient" in legend and "foreign" in legend

    bars = driver.find_elements(By.CSS_SELECTOR, "svg.drops rect.bar")
    assert [int(b.get_attribute("data-value")) for b in bars] == [120, 12]
    assert "bar-desync" in bars[0].get_attribute("class")  # hub-1 has the confirmed desync
    assert float(bars[0].get_attribute("width")) > float(bars[1].get_attribute("width"))


def test_injected_script_stays_text(driver, page):
    uri = page[0]
    open_page(driver, uri)
    assert driver.execute_script("return typeof window.__xss") == "undefined"
    details = driver.find_element(By.CSS_SELECTOR, 'details.router[data-host="spoke-2"]')
    assert details.get_attribute("open") is None  # collapsed until asked
    details.find_element(By.TAG_NAME, "summary").click()
    cell = details.find_element(By.XPATH, ".//td[contains(., 'window.__xss')]")
    assert cell.is_displayed()
    assert "<script>window.__xss=1</script>" in cell.text
    assert cell.find_elements(By.TAG_NAME, "script") == []
    assert driver.execute_script("return typeof window.__xss") == "undefined"
    # Only the page's own script exists.
    assert len(driver.find_elements(By.TAG_NAME, "script")) == 1
    assert severe(driver) == []


def test_links_open_details_and_screenshot(driver, page):
    uri = page[0]
    open_page(driver, uri)
    driver.find_element(By.CSS_SELECTOR, '#router-table a[href]').click()
    opened = driver.find_elements(By.CSS_SELECTOR, "details.router[open]")
    assert len(opened) == 1
    driver.find_element(By.ID, "expand-all").click()
    assert len(driver.find_elements(By.CSS_SELECTOR, "details.router[open]")) == 7
    driver.execute_script("window.scrollTo(0, 0)")
    path = full_screenshot(driver, "report-fixtures.png")
    assert os.path.getsize(path) > 10000
    driver.find_element(By.ID, "collapse-all").click()
    assert driver.find_elements(By.CSS_SELECTOR, "details.router[open]") == []
    filt = driver.find_element(By.ID, "router-filter")
    filt.send_keys("spoke")
    visible = [r.get_attribute("data-host") for r in driver.find_elements(By.CSS_SELECTOR, "#router-table tbody tr")
               if r.is_displayed()]
    assert sorted(visible) == ["spoke-2", "spoke-9"]
    assert severe(driver) == []


def test_applied_run_and_large_fleet_render(driver, tmp_path):
    from report_support import make_fleet  # the 200-router generator shared with the unit tests

    fleet = make_fleet(200, applied=True)
    report = build_report(fleet, mode="auto")
    assert report["mode"] == "applied"
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    open_page(driver, path.as_uri())
    assert severe(driver) == []
    assert "applied" in driver.find_element(By.ID, "mode-banner").get_attribute("class")
    assert len(table_hosts(driver)) == 200
    assert driver.find_elements(By.CSS_SELECTOR, "details.router[open]") == []
    driver.find_element(By.CSS_SELECTOR, "#router-table thead th:nth-child(6) button").click()
    errors = [int(c.text) for c in driver.find_elements(By.CSS_SELECTOR, "#router-table tbody td:nth-child(6)")]
    assert errors == sorted(errors)
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(os.path.join(OUTPUT, "report-200-top.png"))


@pytest.fixture(scope="module")
def lab_page(tmp_path_factory):
    from report_support import lab_fleet

    fleet, view = lab_fleet()
    report = build_report(fleet, mode="auto", view=view, meta={"title": "Lab after remediation (partial view)"},
                          generated_at="2026-11-30T00:00:00+00:00")
    path = tmp_path_factory.mktemp("lab") / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path.as_uri(), report


def test_the_page_leads_with_the_black_holed_pairs(driver, lab_page):
    uri, report = lab_page
    open_page(driver, uri)
    assert severe(driver) == []
    sections = [s.get_attribute("id") or s.find_element(By.TAG_NAME, "h2").get_attribute("id")
                for s in driver.find_elements(By.CSS_SELECTOR, "main > section")]
    # Recurring pairs (the history store) first, then this run's black-holed pairs.
    assert sections[:4] == ["recurring", "pairs", "h-commands", "not-seen"], sections
    assert "no history store was read" in driver.find_element(By.ID, "recurring").text
    rows = driver.find_elements(By.CSS_SELECTOR, "#pairs tbody tr")
    assert len(rows) == len(report["pairs"]) == 5
    text = {r.find_element(By.CSS_SELECTOR, "td:nth-child(1)").text.split("\n")[0] + "/" +
            r.find_element(By.CSS_SELECTOR, "td:nth-child(3)").text: r.text for r in rows}
    sent = text["dmhub/0x7DC5226E"]
    assert "sent" in sent and "verified" in sent and "no longer rising on dmhub" in sent and "45,660" in sent
    rising = text["hub1/0x4E6980EE"]
    assert "+1,457" in rising and "still rising" in rising
    unverified = text["vti2/0x01879C05"]
    assert "unverified" in unverified and "hub2" in unverified and "not assessed in this run" in unverified
    assert "none" in unverified  # no clear for a pair read on one end only
    # The sender of a confirmed desync does not read "0" in the router table.
    cell = driver.find_element(By.CSS_SELECTOR, '#router-table tr[data-host="br2"] td:nth-child(5)')
    assert cell.text == "1 sending (stale SA)"
    not_seen = driver.find_element(By.ID, "not-seen").text
    assert "hub2" in not_seen and "No route to host" in not_seen and "edge-1, edge-2" in not_seen
    # Every timeline label keeps its SPI whole.
    for flow in driver.find_elements(By.CSS_SELECTOR, "svg.timeline text.flow-label"):
        title = flow.find_element(By.TAG_NAME, "title").get_attribute("textContent")
        shown = driver.execute_script("return arguments[0].lastChild.textContent", flow)
        spi = title.rsplit(" ", 1)[-1]
        assert spi.startswith("0x") and shown.endswith(spi), (shown, title)
    page = driver.find_element(By.TAG_NAME, "main").text
    assert "222,840" in page and "1161.0" not in page
    path = full_screenshot(driver, "report-lab-pairs.png")
    assert os.path.getsize(path) > 10000


def test_recurring_pairs_and_trend_in_a_real_browser(driver, tmp_path):
    from test_report_recurrence import history_input

    report = build_report(load_fleet(), mode="auto", history=history_input(nights=5))
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    open_page(driver, path.as_uri())
    assert severe(driver) == []
    first = driver.find_elements(By.CSS_SELECTOR, "main > section")[0]
    assert first.get_attribute("id") == "recurring"
    assert "hub" in first.find_element(By.CSS_SELECTOR, "tbody tr").text
    plot = first.find_element(By.CSS_SELECTOR, "svg.trend")
    assert plot.size["width"] > 600 and plot.size["height"] > 100
    assert len(first.find_elements(By.CSS_SELECTOR, "svg.trend rect.tr-found")) == 5
    pair = first.find_element(By.CSS_SELECTOR, "details.recurring-pair")
    pair.find_element(By.TAG_NAME, "summary").click()
    assert "clear crypto sa peer 10.0.0.1 -> fixed" in pair.find_element(By.TAG_NAME, "pre").text
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(os.path.join(OUTPUT, "report-recurring.png"))
