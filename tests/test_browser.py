"""A real browser (Debian's chromium, driven by Playwright) types a query and sees item cards."""

import shutil

import pytest

from tests.test_app import server  # noqa: F401  (the running app)

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/install.sh dev installs it)")
def test_query_shows_streamed_answer_and_item_cards(server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        page = browser.new_page()
        page.goto(server, wait_until="domcontentloaded")
        box = page.locator("#query-box textarea")
        box.wait_for(timeout=60_000)
        box.fill("a funny animated movie about toys that come alive")
        page.locator("#query-box button").last.click()  # the box is multi-line (pasted lists): submit button
        cards = page.locator("[data-testid=item-card]")
        cards.first.wait_for(timeout=120_000)
        page.wait_for_function("document.querySelectorAll('[data-testid=item-card]').length >= 10 && "
                               "!document.body.innerText.includes('refining with the rationale')", timeout=120_000)
        text = page.locator("#item-cards").inner_text()
        assert "Toy Story" in text
        bot = page.locator("#chatbot").inner_text()
        assert len(bot.strip()) > 0
        page.screenshot(path="/tmp/recchat-browser.png", full_page=True)
        browser.close()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/install.sh dev installs it)")
def test_label_and_compare_are_tabs_of_their_own(server):  # noqa: F811
    """They used to render in a second tab strip under the chat (gr.api's components split the strip)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server, wait_until="domcontentloaded")
        page.locator("#query-box textarea").wait_for(timeout=60_000)
        strips = page.locator("[role=tablist]")
        assert strips.count() == 1
        assert [t.strip() for t in strips.first.locator("[role=tab]").all_inner_texts()] == [
            "Chat", "Catalogs", "Label", "Compare"]
        assert not page.get_by_text("Five sampled answers for one prompt").is_visible()
        page.get_by_role("tab", name="Compare").click()
        page.get_by_text("One request, three checkpoints side by side").wait_for(timeout=10_000)
        assert not page.locator("#chatbot").is_visible()
        page.screenshot(path="/tmp/recchat-browser-compare.png", full_page=True)
        browser.close()
