"""Every endpoint of the review web app, through FastAPI's TestClient on a real workspace."""

import html
import re
from urllib.parse import quote

import pytest

from lccode.review.app import create_app, free_socket, make_server
from lccode.review.guard import token_cookie_name
from tests.review.review_data import BASE, MODEL_ID, TOKEN, key_of

TOP = "Eerlijk gezegd had de baas er weinig tijd voor vrijgemaakt."
SECOND = "I finally used the demolition inventory on my own site last week."


def seg_url(ws, text):
    return "/segment/" + quote(key_of(ws, text), safe="")


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def decisions(ws):
    return ws.decisions()


# -- the session token -----------------------------------------------------------------------------------------
def test_every_request_needs_the_token(coded_ws_path):
    from fastapi.testclient import TestClient

    c = TestClient(create_app(coded_ws_path, TOKEN), base_url=BASE)
    for path in ["/", "/review", "/analyst", "/codebook", "/disagreements", "/transcript/nl-gaserop-test",
                 "/static/review.css", "/segment/x"]:
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 403, path
        assert "token" in r.text
    assert c.get("/review?token=wrong", follow_redirects=False).status_code == 403
    assert c.post("/analyst", data={"name": "Eve"}, follow_redirects=False).status_code == 403


def test_token_link_sets_cookie_and_leaves_the_address_bar(coded_ws_path):
    from fastapi.testclient import TestClient

    c = TestClient(create_app(coded_ws_path, TOKEN), base_url=BASE)
    r = c.get(f"/codebook?lang=nl&token={TOKEN}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/codebook?lang=nl"
    assert c.cookies.get(token_cookie_name(TOKEN)) == TOKEN
    r = c.get("/codebook?lang=nl")
    assert r.status_code == 200 and "Wederkerigheid" in r.text
    assert r.headers["cache-control"] == "no-store" and "default-src 'self'" in r.headers["content-security-policy"]
    assert c.get("/static/review.js").status_code == 200


def test_a_random_token_per_app_and_server_binds_localhost(coded_ws_path):
    a, b = create_app(coded_ws_path), create_app(coded_ws_path)
    assert len(a.state.token) >= 24 and a.state.token != b.state.token
    server, sock, url = make_server(coded_ws_path)
    try:
        host, port = sock.getsockname()
        assert host == "127.0.0.1" and port > 0
        assert re.fullmatch(rf"http://127\.0\.0\.1:{port}/\?token=[\w-]{{24,}}", url)
        from lccode.errors import LccodeError

        with pytest.raises(LccodeError, match="cannot listen"):
            free_socket("127.0.0.1", port)
    finally:
        sock.close()


# -- host and origin (DNS rebinding, cross-site posts) -----------------------------------------------------------
def test_only_loopback_host_names_are_served(client):
    # The token cookie is present: these are refused for their Host alone.
    for host in ("evil.example", "127.0.0.1.evil.example", "evil.example:8765", "10.0.0.5:8765", ""):
        r = client.get("/review", headers={"host": host}, follow_redirects=False)
        assert r.status_code == 421, host
        assert "127.0.0.1" in r.text
    for host in ("127.0.0.1:8765", "localhost:8765", "LOCALHOST", "[::1]:8765"):
        assert client.get("/codebook", headers={"host": host}).status_code == 200, host


def test_posts_from_another_origin_are_refused_and_store_nothing(client, coded_ws):
    url = seg_url(coded_ws, TOP)
    cross = [{"origin": "http://evil.example"}, {"origin": "null"}, {"origin": "http://127.0.0.1:9999"},
             {"referer": "http://evil.example/page"}, {"referer": "http://127.0.0.1:8765.evil.example/"},
             {"host": "evil.example", "origin": "http://evil.example"}]
    for headers in cross:
        r = client.post(url, data={"action": "accept"}, headers=headers, follow_redirects=False)
        assert r.status_code in (403, 421), headers
    assert decisions(coded_ws) == []
    same = client.post(url, data={"action": "accept"}, headers={"origin": BASE, "referer": BASE + url},
                       follow_redirects=False)
    assert same.status_code == 303 and len(decisions(coded_ws)) == 1
    by_referer = client.post(seg_url(coded_ws, SECOND), data={"action": "accept"},
                             headers={"referer": BASE + "/review"}, follow_redirects=False)
    assert by_referer.status_code == 303 and len(decisions(coded_ws)) == 2


# -- analyst -----------------------------------------------------------------------------------------------------
def test_analyst_is_asked_then_remembered(coded_ws_path):
    from fastapi.testclient import TestClient

    c = TestClient(create_app(coded_ws_path, TOKEN), base_url=BASE)
    c.get(f"/?token={TOKEN}", follow_redirects=False)
    r = c.get("/review?community=gas-erop", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/analyst?next=")
    r = c.get(r.headers["location"])
    assert "Who is reviewing?" in r.text and 'value="/review?community=gas-erop"' in r.text
    r = c.post("/analyst", data={"name": "  Marieke   de Boer ", "next": "/review?community=gas-erop"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/review?community=gas-erop"
    r = c.get("/review?community=gas-erop")
    assert "Reviewing as <strong>Marieke de Boer</strong>" in r.text
    # An empty name is not accepted; an outside URL is not followed.
    assert c.post("/analyst", data={"name": " ", "next": "/review"}, follow_redirects=False).headers["location"] == "/analyst"
    for outside in ("https://example.org/", "//example.org/", "/\\example.org/"):
        r = c.post("/analyst", data={"name": "X", "next": outside}, follow_redirects=False)
        assert r.headers["location"] == "/review"


# -- the queue and one segment --------------------------------------------------------------------------------------
def test_review_opens_the_most_uncertain_segment(client, coded_ws):
    r = client.get("/review", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(seg_url(coded_ws, TOP))
    assert client.get("/", follow_redirects=False).headers["location"] == "/review"


def test_segment_page_shows_context_proposal_and_definitions(client, coded_ws):
    page = html.unescape(client.get(seg_url(coded_ws, TOP)).text)
    assert TOP in page
    # context: the two segments before and the one after, with speakers
    assert "Wij brachten de praktijkkennis in" in page and "Wat bedoel je precies met dat protocol?" in page
    assert "Dank je wel voor het gesprek." in page and "Zonder de monteurs" not in page
    for meta in ("Henk", "respondent", "gas-erop", "micro", "interview", "00:00:36", "NL"):
        assert meta in page
    # the proposal, ticked, with its probability; names and definitions in the segment's language (Dutch)
    assert re.search(r'id="c-bd_parent_support" checked', page)
    assert "Geen draagvlak in de eigen organisatie" in page and "51%" in page
    cb = coded_ws.codebook()
    assert cb.code("bd_parent_support").definition["nl"][:60] in page
    assert cb.code("bd_parent_support").definition["en"][:60] not in page
    assert "0 of 11 reviewed by you" in plain(page)
    assert f"model {MODEL_ID} · codebook {coded_ws.codebook().ref}" in page  # what produced the proposal
    for key in ("Enter", "Y", "N", "U", "/", "B", "?"):
        assert f"<kbd>{key}</kbd>" in page


def test_english_segment_gets_english_labels(client, coded_ws):
    page = html.unescape(client.get(seg_url(coded_ws, SECOND)).text)
    assert "Sustainable learning outcomes" in page and "Duurzame leeropbrengsten" in page  # other language small
    assert coded_ws.codebook().code("out_learning").definition["en"][:60] in page
    assert "58%" in page and "47%" in page


@pytest.mark.parametrize("action, codes, status, stored", [
    ("save", ["sf_reciprocity", "bd_parent_support"], "coded", ["bd_parent_support", "sf_reciprocity"]),
    ("accept", ["sf_reciprocity"], "coded", ["bd_parent_support"]),   # the model's proposal, whatever was ticked
    ("none", ["sf_reciprocity"], "coded", []),
    ("unsure", ["bd_parent_support"], "unsure", ["bd_parent_support"]),
])
def test_decision_is_stored_at_once(client, coded_ws, action, codes, status, stored):
    key = key_of(coded_ws, TOP)
    r = client.post(seg_url(coded_ws, TOP), data={"action": action, "codes": codes, "filters": ""},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/review?saved=" + quote(key, safe="")
    [d] = decisions(coded_ws)
    assert (d.segment_key, d.analyst, d.status, d.source) == (key, "Anna", status, "web")
    assert list(d.codes) == stored and d.segment_text == TOP
    assert d.model_id == MODEL_ID and d.proposal["bd_parent_support"] == pytest.approx(0.51)
    # the next page is the next most uncertain segment, with a note about the saved one
    nxt = client.get(r.headers["location"])
    assert SECOND in nxt.text and "Saved your decision" in nxt.text and "1 of 11 reviewed by you" in plain(nxt.text)


def test_filters_carry_through_a_decision(client, coded_ws):
    r = client.get("/review?community=bouwcampus-circulair", follow_redirects=False)
    assert r.headers["location"].startswith(seg_url(coded_ws, SECOND) + "?community=bouwcampus-circulair")
    page = client.get(r.headers["location"]).text
    assert 'name="filters" value="community=bouwcampus-circulair"' in page
    r = client.post(seg_url(coded_ws, SECOND), data={"action": "accept", "filters": "community=bouwcampus-circulair&x=1"},
                    follow_redirects=False)
    assert r.headers["location"].startswith("/review?community=bouwcampus-circulair&saved=")
    nxt = client.get(r.headers["location"]).text
    assert "Shall we start with a round" in nxt and "1 of 5 reviewed by you" in plain(nxt)


def test_bad_requests_get_a_clear_page(client, coded_ws):
    r = client.post(seg_url(coded_ws, TOP), data={"action": "save", "codes": ["sf_nonsense"]})
    assert r.status_code == 400 and "unknown code(s) ['sf_nonsense']" in html.unescape(r.text)
    r = client.get("/review?community=nowhere")
    assert r.status_code == 400 and "no community 'nowhere'" in html.unescape(r.text)
    r = client.post(seg_url(coded_ws, TOP), data={"action": "delete"})
    assert r.status_code == 400 and "unknown action 'delete'" in html.unescape(r.text)
    assert client.get("/segment/nl-gaserop-test%23000").status_code == 404
    assert client.post("/segment/nl-gaserop-test%23000", data={"action": "none"}).status_code == 400
    assert client.get("/transcript/nope").status_code == 404
    assert decisions(coded_ws) == []


def test_no_model_yet(ws_path):
    from fastapi.testclient import TestClient

    c = TestClient(create_app(ws_path, TOKEN), base_url=BASE)
    c.get(f"/?token={TOKEN}")
    c.post("/analyst", data={"name": "Anna"})
    r = c.get("/review")
    assert r.status_code == 400 and "lccode code" in r.text


def test_done_when_everything_is_decided(client, coded_ws):
    for s in coded_ws.segments():
        client.post("/segment/" + quote(s.key, safe=""), data={"action": "accept"})
    r = client.get("/review")
    assert r.status_code == 200 and "Nothing left in this queue" in r.text and "11 of 11" in plain(r.text)


# -- two analysts --------------------------------------------------------------------------------------------------
def test_two_analysts_keep_both_decisions_and_see_the_disagreement(client, coded_ws_path, coded_ws):
    from fastapi.testclient import TestClient

    bram = TestClient(create_app(coded_ws_path, TOKEN), base_url=BASE)
    bram.get(f"/?token={TOKEN}")
    bram.post("/analyst", data={"name": "Bram"})
    url = seg_url(coded_ws, TOP)
    client.post(url, data={"action": "accept"})
    bram.post(url, data={"action": "save", "codes": ["bd_time_pressure"]})
    rows = decisions(coded_ws)
    assert [(d.analyst, list(d.codes)) for d in rows] == [("Anna", ["bd_parent_support"]),
                                                                       ("Bram", ["bd_time_pressure"])]
    page = client.get(url).text
    assert "Analysts disagree on this segment" in page and "Bram" in page and "Geen tijd of ruimte om te leren" in page
    dis = client.get("/disagreements").text
    assert TOP in dis and "Anna" in dis and "Bram" in dis
    # Bram's queue still holds the segments Anna decided only; his own are gone
    assert client.get("/review", follow_redirects=False).headers["location"].startswith(seg_url(coded_ws, SECOND))
    r = bram.get("/review?others=1", follow_redirects=False)
    assert r.headers["location"].startswith(seg_url(coded_ws, SECOND))


def test_back_walks_through_my_decisions(client, coded_ws):
    texts = [TOP, SECOND, "Zonder de monteurs had dat protocol nergens op geslagen."]
    for t in texts:
        client.post(seg_url(coded_ws, t), data={"action": "accept"})

    def back_from(url):
        m = re.search(r'id="back-link" href="([^"?]+)', client.get(url).text)
        return m.group(1) if m else None

    fresh = client.get("/review", follow_redirects=False).headers["location"]
    assert back_from(fresh) == seg_url(coded_ws, texts[2])
    assert back_from(seg_url(coded_ws, texts[2])) == seg_url(coded_ws, texts[1])
    assert back_from(seg_url(coded_ws, texts[1])) == seg_url(coded_ws, texts[0])
    assert back_from(seg_url(coded_ws, texts[0])) is None


def test_going_back_changes_a_decision_as_a_new_row(client, coded_ws):
    url = seg_url(coded_ws, TOP)
    client.post(url, data={"action": "accept"})
    page = client.get(seg_url(coded_ws, SECOND)).text
    assert f'id="back-link" href="{url}' in page
    mine = client.get(url).text
    assert "Earlier decisions" in mine and "(you)" in mine
    client.post(url, data={"action": "none"})
    assert [list(d.codes) for d in decisions(coded_ws)] == [["bd_parent_support"], []]


# -- transcript, disagreements, codebook ---------------------------------------------------------------------------
def test_transcript_view_highlights_coded_spans(client, coded_ws):
    client.post(seg_url(coded_ws, TOP), data={"action": "save", "codes": ["sf_reciprocity"]})
    page = client.get("/transcript/nl-gaserop-test?at=" + quote(key_of(coded_ws, TOP), safe="")).text
    by_text = {text: cls for cls, text in re.findall(r'class="seg([^"]*)"[^>]*>([^<]+)', page)}
    assert "coded analyst" in by_text[TOP] and "current" in by_text[TOP]
    assert "coded model" in by_text["Wat bedoel je precies met dat protocol?"]
    assert "coded" not in by_text["Dank je wel voor het gesprek."]
    assert "Wederkerigheid" in page and "Henk" in page and "00:00:09" in page


def test_disagreements_empty(client):
    assert "No disagreements so far" in client.get("/disagreements").text


def test_codebook_page_in_both_languages(client):
    nl, en = client.get("/codebook?lang=nl").text, client.get("/codebook").text
    assert "Wederzijdse afhankelijkheid" in nl and "Mutual interdependency" in en
    assert "learning-communities@1.0" in en


# -- why this segment, and the quick-retrain button -------------------------------------------------------------
def test_segment_page_says_why_it_is_in_the_queue(client, coded_ws):
    page = plain(html.unescape(client.get(seg_url(coded_ws, TOP)).text))
    chance = round(100 * (1 - 0.51 * 0.52 * 0.97 ** 23))  # documented rule: some code decision wrong
    assert f"{chance}% chance the model got a code wrong here" in page and "number 1 in your queue" in page
    assert "the model says yes at 51% (it says yes from 50%): a 49% chance that is wrong" in page
    assert "the model says no at 48% (it says yes from 50%): a 48% chance that is wrong" in page


def test_retrain_button_runs_in_the_background_and_reports_a_failure(client, coded_ws):
    import time

    client.post(seg_url(coded_ws, TOP), data={"action": "accept"})
    page = plain(client.get("/retrain").text)
    assert "1 segment in this workspace have a coded decision" in page and "Update the model now" in page
    r = client.post("/retrain", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/retrain"
    for _ in range(100):  # the test workspace was coded by a model that is not on this computer
        status = client.get("/retrain/status").json()
        if status["state"] != "running":
            break
        time.sleep(0.05)
    assert status["state"] == "failed" and "is not on this computer" in status["error"]
    page = client.get("/retrain").text
    assert "did not finish; nothing changed" in page and "lccode code -w" in html.unescape(page)
    assert len(decisions(coded_ws)) == 1  # the decision is untouched


def test_segment_page_names_codes_proposed_elsewhere_in_the_turn(tmp_path):
    """The queue's error model counts a code proposed for another sentence of the turn; the page names it."""
    from fastapi.testclient import TestClient

    from lccode.workspace import Workspace
    from lccode.workspace.add import add_paths
    from tests.review.review_data import insert_predictions

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    first, second = "We deden het samen met de school.", "Daardoor kregen wij er nieuwe klanten voor terug."
    (corpus / "henk.txt").write_text(f"Interviewer: Wat leverde het op?\n\nHenk: {first} {second}\n\n"
                                     "Interviewer: Mooi.\n\nHenk: Ja, echt.\n", encoding="utf-8")
    ws = Workspace.create(tmp_path / "ws")
    add_paths(ws, [corpus])
    segs = {s.text: s for s in ws.segments()}
    assert segs[first].turn_index == segs[second].turn_index  # one speaker turn, two sentences
    insert_predictions(ws, {first: {"sf_reciprocity": 0.9}})
    label = next(c for c in ws.codebook().codes if c.id == "sf_reciprocity").label("nl")
    ws.close()
    c = TestClient(create_app(tmp_path / "ws", TOKEN), base_url=BASE)
    c.get(f"/analyst?token={TOKEN}")
    c.post("/analyst", data={"name": "Anna", "next": "/review"}, follow_redirects=False)
    ws = Workspace.open(tmp_path / "ws")
    page = plain(html.unescape(c.get(seg_url(ws, second)).text))
    assert f"Elsewhere in this speaker turn the model proposes {label} but not here" in page
    assert "Elsewhere in this speaker turn" not in plain(html.unescape(c.get(seg_url(ws, first)).text))
    ws.close()
