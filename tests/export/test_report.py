"""The HTML report: self-contained, charts present, figures and quotes from the workspace, nl and en."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lhtml

from lccode.export.report import write_report


@pytest.fixture(scope="module")
def shared_ws(template_ws):
    """The fixture workspace, opened once for this module's read-only tests (rendering takes a few seconds)."""
    from lccode.workspace import Workspace

    root, keys = template_ws
    ws = Workspace.open(root)
    ws.keys = keys
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def report_en(shared_ws, tmp_path_factory):
    path = write_report(shared_ws, tmp_path_factory.mktemp("report") / "report.html", "en")
    return path, lhtml.fromstring(path.read_text(encoding="utf-8"))


def test_report_is_self_contained(report_en):
    path, doc = report_en
    assert not doc.xpath("//script[@src] | //link | //img | //iframe")
    for el in doc.iter():
        for attr in ("src", "href"):
            v = el.get(attr) or ""
            assert not re.match(r"(https?:)?//", v), f"<{el.tag} {attr}={v}> would need the network"
    css = " ".join(doc.xpath("//style/text()"))
    assert "url(" not in css and "@import" not in css


def test_report_has_heatmap_category_and_community_charts(report_en, shared_ws):
    _, doc = report_en
    ws = shared_ws
    charts = doc.xpath("//svg[contains(@class, 'chart')]")
    cats = ws.codebook().categories
    assert len(charts) == 1 + len(cats) + 2  # heatmap, one per category, one per community
    heat = doc.xpath("//section[@id='heatmap']//svg")[0]
    assert heat.get("aria-label") == "Codes per community" and heat.xpath(".//*[local-name()='path']")
    assert [h.text_content() for h in doc.xpath("//section[@id='categories']//h3")] == [c.label("en") for c in cats]
    ids = [el.get("id") for el in doc.iter() if el.get("id")]
    assert len(ids) == len(set(ids))  # the charts' internal ids do not clash


def test_report_shows_figures_quotes_and_provenance(report_en, shared_ws):
    _, doc = report_en
    ws = shared_ws
    kpis = {k.xpath("span")[0].text_content(): k.xpath("b")[0].text_content() for k in doc.xpath("//div[@class='kpi']")}
    assert kpis["transcripts"] == "3" and kpis["segments in these figures (seen by the model or a person)"] == "11"
    assert kpis["segments with at least one code"] == "64%"  # 7 of the 11 carry a code
    assert kpis["of segments reviewed by a person"] == "27%" and kpis["model macro-F1 on its dev set"] == "0.64"
    assert "1 segment has not been coded yet and is not" in doc.xpath("//p[@class='notice']")[0].text_content()
    alpha = doc.xpath("//section[@id='c-alpha']")[0]
    quotes = alpha.xpath(".//blockquote")
    assert quotes[0].get("data-segment") in {ws.keys[("t1", 1)], ws.keys[("t2", 1)], ws.keys[("t1", 2)]}
    learned = [q for q in quotes if "We learned a lot from the installers" in q.text_content()][0]
    assert "t2 · Bob (participant) · 00:01:00 · characters 59–109" in learned.text_content()
    assert "reviewed" in learned.text_content()
    assert ws.transcript_text("t2")[59:109] == "We learned a lot from the installers in the field."
    prov = doc.xpath("//section[@id='provenance']")[0].text_content()
    for needle in ("lc-test@0123456789ab", "ab" * 32, ws.codebook().hash, ws.codebook().ref, "0.1.0", "27.3%",
                   "macro-F1", "0.644"):
        assert needle in prov
    book = doc.xpath("//section[@id='codebook']")[0].text_content()
    assert "sf_interdependency" in book and "Mutual interdependency" in book


def test_report_in_dutch(shared_ws, tmp_path):
    ws = shared_ws
    doc = lhtml.fromstring(write_report(ws, tmp_path / "r.html", "nl").read_text(encoding="utf-8"))
    assert doc.get("lang") == "nl"
    text = doc.text_content()
    for needle in ("Codeerrapport", "Codeboek impact Learning Communities", "Herkomst", "Voorbeeldcitaten",
                   "Wederzijdse afhankelijkheid", "procesbegeleider", "beoordeeld"):
        assert needle in text
    assert "Exemplar quotes" not in text


def test_report_of_an_empty_workspace(tmp_path):
    from lccode.workspace import Workspace

    ws = Workspace.create(tmp_path / "empty")
    doc = lhtml.fromstring(write_report(ws, tmp_path / "r.html").read_text(encoding="utf-8"))
    assert doc.xpath("//section[@id='heatmap']//svg")
    assert "Model" in doc.xpath("//section[@id='provenance']")[0].text_content()


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium")
def test_report_renders_in_headless_chromium(report_en, tmp_path):
    from PIL import Image, ImageStat

    path, _ = report_en
    shot = tmp_path / "report.png"
    profile = tmp_path / "profile"
    subprocess.run(["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1400,2400",
                    path.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    img = Image.open(shot).convert("RGB")
    assert img.size == (1400, 2400)
    # Not a blank page: the header band is dark, and the page below has the charts' colours.
    top = ImageStat.Stat(img.crop((0, 0, 1400, 120))).mean
    assert sum(top) / 3 < 120
    assert max(ImageStat.Stat(img.crop((0, 400, 1400, 2400))).stddev) > 20
    shutil.rmtree(profile, ignore_errors=True)
