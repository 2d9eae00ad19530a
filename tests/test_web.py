"""The web page in a real browser: Playwright driving Debian's Chromium, headless."""

import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from api.settings import Settings
from tests.server import running_server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def page(tmp_path_factory, corpus_index, embedder):
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is needed: `make test` installs it (apt-get)"
    root = tmp_path_factory.mktemp("web") / "idx"
    shutil.copytree(corpus_index, root)
    with running_server(Settings(index=root), embedder) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.base_url = url
        yield page
        browser.close()


def test_search_shows_highlighted_evidence_with_citations(page):
    page.goto(page.base_url + "/")
    page.fill("#q", "Violence Reduction Partnership £140,000")
    page.press("#q", "Enter")
    first = page.locator(".result").first
    expect(first.locator("h2")).to_contain_text("direct contract award to Mersey Care")
    expect(first.locator(".meta")).to_contain_text("St Helens Borough Council")
    expect(first.locator(".passage").first).to_contain_text("£140,000")
    expect(first.locator("mark").first).to_be_visible()
    expect(first.locator(".cite").first).to_contain_text(
        "st-helens-0017-2023-24-babs-direct-award.txt"
    )


def test_filters_narrow_the_results(page):
    page.goto(page.base_url + "/")
    page.select_option("#organisation", "Kent County Council")
    page.fill("#q", "funding")
    page.press("#q", "Enter")
    expect(page.locator("#status")).to_contain_text("1 documents")
    expect(page.locator(".result .meta")).to_contain_text("Kent County Council")


def test_a_citation_opens_the_document_at_the_quoted_span(page):
    page.goto(page.base_url + "/?q=Violence+Reduction+Partnership+%C2%A3140%2C000")
    cite = page.locator(".result .cite").first
    expect(cite).to_be_visible()
    quoted = page.locator(".result .passage").first.inner_text()
    cite.click()
    expect(page.locator("#document-view")).to_be_visible()
    expect(page.locator("#doc-title")).to_contain_text("direct contract award")
    expect(page.locator("#doc-meta")).to_contain_text("0017 2023/24")
    marked = page.locator("#doc-text mark").inner_text()
    assert "£140,000" in marked
    assert " ".join(marked.split()) in " ".join(quoted.split())


def test_no_results_and_errors_are_said_plainly(page):
    page.goto(page.base_url + "/?q=zzqqxx&mode=bm25")
    expect(page.locator("#status")).to_contain_text("No documents match")
    page.goto(page.base_url + "/?doc=0000000000000000")
    expect(page.locator("#doc-title")).to_contain_text("Document not available")


def test_the_answer_table_shows_organisations_with_quoted_evidence(page):
    page.goto(page.base_url + "/")
    page.fill("#q", "which councils commissioned parent-infant services and how were they funded")
    page.click("#evidence-button")
    table = page.locator("#evidence table")
    expect(table).to_contain_text("St Helens Borough Council")
    expect(table).to_contain_text("£3,051,809")
    expect(table).to_contain_text("not stated")
    expect(page.locator("#status")).to_contain_text("never name the commissioner")
    assert table.locator("blockquote").count() >= 5


def test_the_compare_view_puts_two_councils_side_by_side(page):
    page.goto(page.base_url + "/")
    page.select_option("#compare-a", "St Helens Borough Council")
    page.select_option("#compare-b", "Kent County Council")
    page.click("#compare-form button")
    expect(page.locator("#compare-view")).to_be_visible()
    facets = page.locator("#compare-facets table")
    expect(facets).to_contain_text("Violence Reduction Partnership")
    expect(facets).to_contain_text("£140,000")
    expect(facets).to_contain_text("£3,051,809")
    expect(page.locator("#compare-pairs")).to_contain_text("Closest passages")


def test_the_form_shows_the_filters_the_url_applies_and_back_restores_a_search(page):
    page.goto(page.base_url + "/?q=funding&organisation=E08000013&view=search")
    # A GSS code is no option of the list: it is shown as given, and it filters.
    expect(page.locator("#organisation")).to_have_value("E08000013")
    expect(page.locator("#status")).to_contain_text("1 documents")
    expect(page.locator(".result .meta")).to_contain_text("St Helens Borough Council")
    page.goto(page.base_url + "/?q=funding&organisation=Kent+County+Council")
    expect(page.locator("#organisation")).to_have_value("Kent County Council")
    page.select_option("#organisation", "")
    page.fill("#q", "advocacy for birth mothers")
    page.press("#q", "Enter")
    expect(page.locator("#status")).to_contain_text("advocacy for birth mothers")
    page.go_back()
    expect(page.locator("#q")).to_have_value("funding")
    expect(page.locator("#organisation")).to_have_value("Kent County Council")
    expect(page.locator(".result .meta")).to_contain_text("Kent County Council")


def test_an_answer_table_gives_way_to_new_search_results(page):
    page.goto(page.base_url + "/")
    page.fill("#q", "how were parent-infant services funded")
    page.click("#evidence-button")
    expect(page.locator("#evidence table")).to_be_visible()
    page.press("#q", "Enter")
    expect(page.locator(".result").first).to_be_visible()
    expect(page.locator("#evidence table")).to_have_count(0)


def test_a_reply_that_is_not_json_is_reported_as_a_server_error(page):
    # A proxy in front of the API answering with its own HTML error page.
    page.route(
        "**/search?**",
        lambda route: route.fulfill(
            status=502, content_type="text/html", body="<html>Bad Gateway</html>"
        ),
    )
    try:
        page.goto(page.base_url + "/?q=funding")
        expect(page.locator("#status")).to_have_text("Search failed: server error 502")
    finally:
        page.unroute("**/search?**")


def test_every_listed_organisation_filters_to_its_own_documents(page):
    page.goto(page.base_url + "/")
    options = page.locator("#organisation option").evaluate_all(
        "opts => opts.map(o => o.value).filter(Boolean)"
    )
    assert "Building Bonds (Knowsley)" in options
    for organisation in options:
        page.select_option("#organisation", organisation)
        page.fill("#q", "service")
        page.press("#q", "Enter")
        expect(page.locator(".result .meta", has_text=organisation).first).to_be_visible()


def test_more_results_pages_through_the_search(page):
    page.goto(page.base_url + "/?q=service&per_page=2&mode=bm25")
    expect(page.locator("#status")).to_contain_text("2 documents")
    first = page.locator(".result h2").all_inner_texts()
    page.click("text=More results →")
    expect(page.locator("#status")).to_contain_text("Documents 3–4")
    assert page.locator("#results").get_attribute("start") == "3"
    assert set(page.locator(".result h2").all_inner_texts()).isdisjoint(first)
    page.click("text=← Earlier results")
    expect(page.locator("#status")).to_contain_text("2 documents")


def test_compare_cites_facets_and_passages_by_file(page):
    page.goto(page.base_url + "/?compare=St+Helens&compare=Kent")
    facets = page.locator("#compare-facets")
    expect(facets.locator(".cite").first).to_contain_text(".txt, p. 1, characters")
    pairs = page.locator("#compare-pairs")
    expect(pairs.locator(".cite").first).to_contain_text(".txt, p. 1, characters")
    page.goto(page.base_url + "/?compare=Kent&compare=KCC")
    expect(page.locator("#compare-title")).to_contain_text("the same document or council twice")
