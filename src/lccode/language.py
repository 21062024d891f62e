"""Language identification (Dutch/English) with lingua, offline."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.DUTCH, Language.ENGLISH).build()


def detect(text: str, default: str = "nl") -> str:
    """'nl' or 'en'; `default` when the text is too short or mixed to tell."""
    if len(text.strip()) < 12:
        return default
    from lingua import Language

    conf = _detector().compute_language_confidence_values(text)
    best = conf[0]
    if best.value < 0.6:
        return default
    return "nl" if best.language == Language.DUTCH else "en"
