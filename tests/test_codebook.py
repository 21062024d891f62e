"""The codebook: the bundled Learning Communities codebook, other groups' codebooks, and every problem at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lccode.codebook import DEFAULT_CODEBOOK, code_colors, load_codebook
from lccode.errors import InputError

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
CODEBOOKS = FIXTURES / "codebooks"

SPEC = {
    "success_factor": ["sf_interdependency", "sf_reciprocity", "sf_joint_identity", "sf_joint_outcome",
                       "sf_facilitation", "sf_practice_link", "sf_conditions"],
    "boundary_difficulty": ["bd_belonging", "bd_strategic_alignment", "bd_parent_support", "bd_understanding",
                            "bd_cultural_differences", "bd_decision_authority", "bd_time_pressure"],
    "facilitator_move": ["fm_inviting", "fm_probing", "fm_summarizing", "fm_connecting", "fm_structuring",
                         "fm_challenging", "fm_safe_climate", "fm_reflecting"],
    "outcome": ["out_learning", "out_innovation", "out_joint_practice"],
}


@pytest.fixture(scope="module")
def bundled():
    return load_codebook()


def problems(path) -> list[tuple[int, str]]:
    with pytest.raises(InputError) as info:
        load_codebook(path)
    return [(p.line, p.message) for p in info.value.problems]


# -- the bundled codebook ----------------------------------------------------------------------------------------

def test_bundled_codebook_has_the_specified_codes(bundled):
    assert bundled.id == "learning-communities" and bundled.languages == ("en", "nl")
    assert {c.id: list(c.code_ids) for c in bundled.categories} == SPEC
    assert len(bundled.code_ids) == 25
    assert bundled.category_of("fm_probing").id == "facilitator_move"


def test_bundled_codes_are_complete_in_both_languages(bundled):
    for code in bundled.codes:
        for lang in ("en", "nl"):
            assert code.name[lang].strip() and len(code.definition[lang]) > 40, (code.id, lang)
            assert code.include.get(lang) and code.exclude.get(lang), (code.id, lang)
            assert 2 <= len(code.examples.get(lang, ())) <= 3, (code.id, lang)
    assert code_colors(bundled).keys() == set(bundled.code_ids)
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in code_colors(bundled).values())


def test_codebook_hash_is_stable_and_follows_content(bundled, tmp_path):
    assert load_codebook(DEFAULT_CODEBOOK).hash == bundled.hash
    assert bundled.ref == f"learning-communities@{bundled.version}#{bundled.hash[:12]}"
    text = DEFAULT_CODEBOOK.read_text(encoding="utf-8")
    # Comments and layout are not content ...
    relaid = tmp_path / "relaid.yaml"
    relaid.write_text("# a comment added by a colleague\n" + text.replace("\n\n", "\n"), encoding="utf-8")
    assert load_codebook(relaid).hash == bundled.hash
    # ... a changed definition is.
    edited = tmp_path / "edited.yaml"
    edited.write_text(text.replace("no single organisation could solve it alone",
                                   "no organisation could solve it alone", 1), encoding="utf-8")
    assert load_codebook(edited).hash != bundled.hash


# -- another group's codebook ------------------------------------------------------------------------------------

def test_small_codebook_with_hierarchy_and_colours():
    cb = load_codebook(CODEBOOKS / "small.yaml")
    assert cb.ref.startswith("small-test@0.3#")
    assert cb.code_ids == ["trust", "trust_broken", "product"]
    assert cb.code("trust_broken").parent == "trust"
    assert cb.code("trust").label("nl") == "Vertrouwen"
    assert cb.code("trust").examples == {"en": ("I know Jan will deliver.",), "nl": ("Op Jan kan ik bouwen.",)}
    # Own colour, else the category's (normalised to upper case), else grey.
    assert code_colors(cb) == {"trust": "#1B9E77", "trust_broken": "#D95F02", "product": "#888888"}
    with pytest.raises(KeyError):
        cb.code("nope")


# -- problems, each with its YAML line ---------------------------------------------------------------------------

def test_every_problem_is_reported_at_once_with_its_line():
    assert problems(CODEBOOKS / "all_problems.yaml") == [
        (7, "unknown key 'colour' in a category"),
        (11, "code trust definition has no 'nl' text"),
        (12, "bad colour 'green' for code trust"),
        (13, "duplicate code id 'trust' (first on line 9)"),
        (16, "code safety has no definition"),
        (18, "unknown key 'definiton' in a code"),
        (19, "bad colour '#12345' for code safety"),
    ]


def test_duplicate_ids():
    assert problems(CODEBOOKS / "duplicate_ids.yaml") == [
        (10, "duplicate category id 'a' (first on line 4)"),
        (13, "duplicate code id 'x' (first on line 7)"),
    ]


def test_missing_language_fields():
    assert problems(CODEBOOKS / "missing_language.yaml") == [(8, "code x name has no 'nl' text")]


def test_unknown_keys():
    assert problems(CODEBOOKS / "unknown_keys.yaml") == [
        (3, "unknown key 'authors' in the codebook"), (11, "unknown key 'synonyms' in a code")]


def test_bad_colours():
    with pytest.raises(InputError) as info:
        load_codebook(CODEBOOKS / "bad_colours.yaml")
    found = info.value.problems
    assert [(p.line, p.message) for p in found] == [
        (6, "bad colour 'red' for category a"), (11, "bad colour '#GGGGGG' for code x"),
        (15, "bad colour '#1234567' for code y")]
    assert all(p.expected and p.fix and str(p.file).endswith("bad_colours.yaml") for p in found)


def test_not_yaml_names_the_line():
    [(line, message)] = problems(CODEBOOKS / "not_yaml.yaml")
    assert line == 3 and message.startswith("not valid YAML")


@pytest.mark.parametrize("text, expected", [
    ("id: x\nlanguages: en\ncategories: []\n", (2, "languages must be a list of language codes")),
    ("id: x\nlanguages: [en]\ncategories: []\n", (3, "categories must be a non-empty list")),
    ("id: x\nlanguages: [en]\ncategories:\n  - id: a\n    name: {en: A}\n    codes: x\n",
     (6, "category a codes must be a list")),
    ("id: x\nlanguages: [en]\ncategories:\n  - id: a\n    name: {en: A}\n    codes:\n"
     "      - {id: b, name: {en: B}, definition: {en: B.}, parent: zz}\n", (7, "code b names unknown parent 'zz'")),
    ("id: x\nlanguages: [en]\ncategories:\n  - id: A-1\n    name: {en: A}\n    codes:\n"
     "      - {id: b, name: {en: B}, definition: {en: B.}}\n", (4, "bad or missing category id 'A-1'")),
    ("- just\n- a list\n", (None, "the codebook must be a YAML mapping")),
])
def test_structural_problems(tmp_path, text, expected):
    path = tmp_path / "cb.yaml"
    path.write_text(text, encoding="utf-8")
    assert problems(path) == [expected]


def test_missing_codebook_file(tmp_path):
    with pytest.raises(InputError, match="codebook file not found"):
        load_codebook(tmp_path / "nope.yaml")
