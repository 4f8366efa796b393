"""The app in a real browser (headless Chromium driven by Selenium), as a new user meets it.

One walk through both tabs, in order: a literature question streams checked text and links its
source on PubMed; a patient conversation reaches an emergency banner and offers its summary;
a page reload (and a second browser) shows nothing of either conversation anywhere, the run
history page does not exist, and the page never fetched anything from outside the app.
Screenshots go to $MEDCHAT_SCREENSHOTS (default: the test's temporary folder).

Needs Debian's `chromium` and `chromium-driver` (`./run.sh test` installs them when missing).
If the browser cannot start, the test fails with the reason: it is never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MEDCHAT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MEDCHAT_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1000")
QUESTION = ("Do mitochondria play a role in remodelling lace plant leaves during programmed "
            "cell death?")
PATIENT = ("My name is Zorvikqq. I have crushing chest pain spreading to my left arm and I'm "
           "sweating")
MARKERS = ("Zorvikqq", "crushing chest pain", "lace plant")


def start_browser(profile: Path, downloads: Path):
    """Headless Chromium with a fresh profile; fails the test, with why, if it cannot start."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        pytest.fail(f"selenium is not installed ({exc}); run `./run.sh test`, which installs "
                    "the dev dependencies")
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not shutil.which(path):
            pytest.fail(f"{path} not found: install Debian's {package} "
                        "(`apt-get install -y chromium chromium-driver`; ./run.sh test does)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    try:
        return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as exc:  # noqa: BLE001 - any failure to start is reported, not skipped
        pytest.fail(f"headless Chromium did not start: {type(exc).__name__}: {exc}")


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - the page is still rendering
            value = None
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("MEDCHAT_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def page_text(driver) -> str:
    return driver.find_element("tag name", "body").text


def stored_in_browser(driver) -> str:
    """Everything the page keeps in the browser: local and session storage, cookies."""
    return json.dumps(driver.execute_script(
        "return [Object.assign({}, localStorage), Object.assign({}, sessionStorage), "
        "document.cookie];"))


def last_bot_message(driver, chat_id: str) -> str:
    messages = driver.find_elements("css selector", f"#{chat_id} [data-testid='bot']")
    return messages[-1].text.strip() if messages else ""


def open_tab(driver, name: str) -> None:
    tab = wait_for(lambda: next(b for b in driver.find_elements("css selector", "button")
                                if b.text.strip() == name), 30, f"the {name!r} tab")
    tab.click()


def ask(driver, box_id: str, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = wait_for(lambda: driver.find_element("css selector", f"#{box_id} textarea"), 30,
                   f"the #{box_id} box")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def test_a_new_user_walks_through_both_tabs_and_a_reload_forgets_everything(
    served_app_url, shots, tmp_path
):
    from assistant.citations import split_answer

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = start_browser(tmp_path / "profile", downloads)
    try:
        driver.get(served_app_url)
        wait_for(lambda: "Literature questions" in page_text(driver), 60, "the app to load")
        wait_for(lambda: driver.find_element("css selector", "#medchat-question textarea"), 60,
                 "the question box")
        assert page_text(driver).count("answers questions from published medical research") == 1
        driver.save_screenshot(str(shots / "01-start.png"))

        # literature: checked text streams, then the answer with its PubMed-linked sources
        ask(driver, "medchat-question", QUESTION)
        seen: list[str] = []

        def final_answer() -> str | None:
            text = last_bot_message(driver, "medchat-literature-chat")
            if text and (not seen or seen[-1] != text):
                seen.append(text)
            return text if "not medical advice" in text else None

        final = wait_for(final_answer, 600, "the literature answer")
        partials = [t.removesuffix("…").strip() for t in seen if t.endswith("…")]
        assert partials, "no streamed update was visible before the final answer"
        for body in partials:
            if body.startswith("Searching the literature"):
                continue
            assert all(s in final for s in split_answer(body)), f"unchecked text shown: {body}"
        link = wait_for(lambda: driver.find_element(
            "css selector", "#medchat-sources a[href^='https://pubmed.ncbi.nlm.nih.gov/']"),
            30, "a PubMed link among the sources")
        assert link.get_attribute("href").rstrip("/").split("/")[-1].isdigit()
        driver.save_screenshot(str(shots / "02-literature-answer.png"))

        # patient intake: an emergency banner in red, with the numbers to call
        open_tab(driver, "Patient intake")
        ask(driver, "medchat-answer", PATIENT)
        banner = wait_for(lambda: driver.find_element(
            "css selector", "#medchat-triage-banner [data-level='emergency']"), 120,
            "the emergency banner")
        assert "call your local emergency number now" in banner.text.lower()
        assert "911" in banner.text and "112" in banner.text
        assert banner.value_of_css_property("background-color") in (
            "rgba(176, 0, 32, 1)", "rgb(176, 0, 32)")
        title = banner.find_element("css selector", "div")
        assert title.value_of_css_property("color") in ("rgba(255, 255, 255, 1)",
                                                        "rgb(255, 255, 255)")
        download = wait_for(lambda: driver.find_element(
            "css selector", "#medchat-summary-json").is_displayed() and driver.find_element(
            "css selector", "#medchat-summary-json"), 30, "the summary download")
        driver.save_screenshot(str(shots / "03-emergency-banner.png"))
        download.click()
        saved = wait_for(lambda: [p for p in downloads.glob("*.json")], 30,
                         "the downloaded summary")
        assert json.loads(saved[0].read_text())["triage"]["level"] == "emergency"

        # reload: nothing of either conversation anywhere, in any tab, nor stored in the browser
        driver.refresh()
        wait_for(lambda: "Literature questions" in page_text(driver), 60, "the reloaded app")
        time.sleep(1)
        visible = page_text(driver) + driver.page_source
        open_tab(driver, "Patient intake")
        visible += page_text(driver) + driver.page_source + stored_in_browser(driver)
        for marker in MARKERS:
            assert marker not in visible, f"{marker!r} survived the reload"
        assert "data-level='emergency'" not in visible
        driver.save_screenshot(str(shots / "04-after-reload.png"))

        driver.get(served_app_url + "gradio_api/runs")
        time.sleep(1)
        runs_page = page_text(driver) + driver.page_source
        assert "Not Found" in runs_page or "Not found" in runs_page
        assert not any(marker in runs_page for marker in MARKERS)
        driver.save_screenshot(str(shots / "05-runs-page-gone.png"))

        outside = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => !n.startsWith(arguments[0]) && !n.startsWith('data:'));",
            served_app_url)
        assert outside == [], f"the page fetched from outside the app: {outside[:5]}"
    finally:
        driver.quit()

    other = start_browser(tmp_path / "profile-2", downloads)
    try:
        other.get(served_app_url)
        wait_for(lambda: "Literature questions" in page_text(other), 60, "the app to load")
        open_tab(other, "Patient intake")
        seen_elsewhere = page_text(other) + other.page_source + stored_in_browser(other)
        assert not any(marker in seen_elsewhere for marker in MARKERS)
        other.save_screenshot(str(shots / "06-another-browser.png"))
    finally:
        other.quit()
