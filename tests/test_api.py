"""The HTTP API on a real server on loopback: search, documents, errors, uploads."""

import io
import shutil

import httpx
import pytest
from fpdf import FPDF

from api.settings import Settings
from tests.server import running_server

KEY = "test-key"
ST_HELENS = "st-helens-0017-2023-24-babs-direct-award.txt"


@pytest.fixture(scope="module")
def base(tmp_path_factory, corpus_index, embedder):
    root = tmp_path_factory.mktemp("api") / "idx"
    shutil.copytree(corpus_index, root)
    settings = Settings(index=root, api_key=KEY, max_upload_bytes=100_000)
    with running_server(settings, embedder) as url:
        yield url


@pytest.fixture(scope="module")
def client(base):
    with httpx.Client(base_url=base, timeout=60) as c:
        yield c


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["documents"] >= 5


def test_search_returns_cited_passages(client):
    data = client.get("/search", params={"q": "Violence Reduction Partnership £140,000"}).json()
    top = data["results"][0]
    assert top["source"].endswith(ST_HELENS)
    passage = top["passages"][0]
    assert "£140,000" in passage["text"]
    c = passage["citation"]
    span = client.get(
        f"/documents/{top['doc_id']}/text", params={"start": c["start"], "end": c["end"]}
    )
    assert span.json()["text"] == passage["text"]


def test_search_is_paginated(client):
    params = {"q": "parent infant service", "per_page": 2}
    first = client.get("/search", params=params).json()
    second = client.get("/search", params={**params, "page": 2}).json()
    assert len(first["results"]) == 2 and first["has_more"]
    ids = {r["doc_id"] for r in first["results"]}
    assert ids.isdisjoint(r["doc_id"] for r in second["results"])
    # The last page says there is no more, even when it is full.
    every = client.get("/search", params={**params, "per_page": 100}).json()["results"]
    for per_page in (2, len(every)):
        pages = []
        for page in range(1, 20):
            data = client.get("/search", params={**params, "per_page": per_page, "page": page})
            data = data.json()
            pages += data["results"]
            if not data["has_more"]:
                break
        assert [r["doc_id"] for r in pages] == [r["doc_id"] for r in every]
        assert data["results"], f"per_page {per_page}: more was promised, the next page was empty"


def test_search_filters(client):
    data = client.get("/search", params={"q": "funding", "type": "news"}).json()
    assert {r["doc_type"] for r in data["results"]} == {"news"}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({}, "q"),
        ({"q": "x", "per_page": 0}, "per_page"),
        ({"q": "x", "mode": "magic"}, "mode"),
        ({"q": "x", "date_from": "2023-02-30"}, "date_from"),
    ],
)
def test_invalid_parameters_are_422_naming_the_parameter(client, params, name):
    assert name in _problem(client.get("/search", params=params), 422)["detail"]


def test_documents_listing_reading_and_unknown_ids(client):
    listing = client.get("/documents").json()
    assert listing["total"] >= 5
    doc_id = listing["documents"][0]["id"]
    doc = client.get(f"/documents/{doc_id}").json()
    assert doc["id"] == doc_id and doc["text"]
    _problem(client.get("/documents/0000000000000000"), 404)
    for sneaky in ("..%2F..%2Fetc%2Fpasswd", "../../etc/passwd", "%2Fetc%2Fpasswd"):
        response = client.get(f"/documents/{sneaky}")
        assert response.status_code in (404, 422) and "root:" not in response.text
    _problem(client.get(f"/documents/{doc_id}/text", params={"start": 5, "end": 2}), 422)
    # The listing's organisation filter matches as search's does: a GSS code finds Kent's.
    for asked in ("E10000016", "Kent"):
        kent = client.get("/documents", params={"organisation": asked}).json()
        assert kent["total"] >= 1, asked
        assert {d["organisation"] for d in kent["documents"]} == {"Kent County Council"}


def test_organisation_facets(client):
    orgs = {o["organisation"]: o for o in client.get("/organisations").json()["organisations"]}
    assert orgs["St Helens Borough Council"]["documents"] == 1
    assert orgs["St Helens Borough Council"]["first_date"] == "2023-07-13"


def test_write_endpoints_need_the_key(client):
    files = {"file": ("note.txt", b"The council funds a parenting group.", "text/plain")}
    _problem(client.post("/documents", files=files), 401)
    _problem(client.post("/documents", files=files, headers={"X-API-Key": "wrong"}), 403)
    _problem(client.delete("/documents/abcd", headers={"X-API-Key": "wrong"}), 403)


@pytest.mark.parametrize(
    ("name", "content", "status", "detail"),
    [
        ("sheet.xlsx", b"PK\x03\x04", 415, "unsupported"),
        ("big.txt", b"a" * 100_001, 413, "larger than"),
        ("broken.pdf", b"%PDF-1.4 not really", 400, "corrupt PDF"),
        ("empty.txt", b"", 400, "empty file"),
    ],
)
def test_bad_uploads_are_refused_with_the_reason(client, name, content, status, detail):
    files = {"file": (name, content, "application/octet-stream")}
    response = client.post("/documents", files=files, headers={"X-API-Key": KEY})
    assert detail in _problem(response, status)["detail"]


def test_an_encrypted_pdf_upload_is_400(client):
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Secret budget")
    pdf.set_encryption(owner_password="owner", user_password="user")
    files = {"file": ("locked.pdf", bytes(pdf.output()), "application/pdf")}
    response = client.post("/documents", files=files, headers={"X-API-Key": KEY})
    assert "encrypted" in _problem(response, 400)["detail"]


def test_upload_is_searchable_at_once_and_delete_removes_it(client):
    text = b"Zanzibar Borough commissioned a doula befriending service from Kind Hands CIC."
    files = {"file": ("../../doula.txt", io.BytesIO(text), "text/plain")}
    created = client.post("/documents", files=files, headers={"X-API-Key": KEY})
    assert created.status_code == 201, created.text
    doc_id, generation = created.json()["doc_id"], created.json()["generation"]
    assert created.json()["status"] == "indexed" and generation
    for name, status in (("../../doula.txt", "unchanged"), ("copy.txt", "duplicate")):
        files = {"file": (name, io.BytesIO(text), "text/plain")}
        again = client.post("/documents", files=files, headers={"X-API-Key": KEY})
        assert again.status_code == 200, again.text
        assert again.json() == {"doc_id": doc_id, "status": status, "generation": generation}
    hits = client.get("/search", params={"q": "doula befriending", "mode": "bm25"}).json()
    assert hits["results"][0]["doc_id"] == doc_id
    assert hits["results"][0]["source"].endswith(
        "/uploads/" + hits["results"][0]["source"].split("/uploads/")[1]
    )
    gone = client.delete(f"/documents/{doc_id}", headers={"X-API-Key": KEY})
    assert gone.json() == {"doc_id": doc_id, "status": "deleted"}
    after = client.get("/search", params={"q": "doula befriending", "mode": "bm25"}).json()
    assert doc_id not in {r["doc_id"] for r in after["results"]}
    _problem(client.delete(f"/documents/{doc_id}", headers={"X-API-Key": KEY}), 404)


def test_without_a_configured_key_writes_are_off(tmp_path, corpus_index, embedder):
    with running_server(Settings(index=corpus_index), embedder) as url:
        files = {"file": ("a.txt", b"text", "text/plain")}
        response = httpx.post(f"{url}/documents", files=files, headers={"X-API-Key": "any"})
        assert "off" in _problem(response, 403)["detail"]
        assert httpx.get(f"{url}/search", params={"q": "grant"}).status_code == 200
