"""The hostile-input tests time each input; what every process pays once (lingua's language models, about 10 s
on 2 cores for the wide detector that tells 'other' languages apart; importing spaCy and its Dutch and English
tokenizers, about 5 s) is loaded before the first one."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _models_loaded():
    from lccode.language import detect
    from lccode.segment import Segmenter

    segmenter = Segmenter()
    for lang in ("nl", "en"):
        segmenter.nlp(lang)

    detect("Dit is een zin in het Nederlands over samen leren in de praktijk, lang genoeg om te herkennen.")
    detect("This is a sentence in English about learning together in practice, long enough to tell.")
