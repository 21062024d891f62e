"""Language identification with lingua, offline: Dutch, English, or 'other' (with the language it is)."""

from __future__ import annotations

from functools import lru_cache

OTHER = "other"
# Languages a Dutch/English project meets besides its own (colleagues abroad, newcomers, surveys); a text in one of
# them is labelled 'other' instead of being forced to nl or en.
_OTHERS = ("GERMAN", "FRENCH", "SPANISH", "ITALIAN", "PORTUGUESE", "HUNGARIAN", "POLISH", "TURKISH", "ARABIC", "DANISH",
           "SWEDISH", "BOKMAL", "FINNISH", "CZECH", "ROMANIAN", "GREEK", "RUSSIAN", "UKRAINIAN", "INDONESIAN",
           "CHINESE", "JAPANESE", "KOREAN", "SOMALI", "PERSIAN", "AFRIKAANS")
_MIN_OTHER_CHARS = 40  # shorter text is too easily taken for a neighbour language
_MIN_OTHER_CONFIDENCE = 0.7


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.DUTCH, Language.ENGLISH).build()


@lru_cache(maxsize=1)
def _wide():
    from lingua import Language, LanguageDetectorBuilder

    langs = [Language.DUTCH, Language.ENGLISH] + [getattr(Language, n) for n in _OTHERS if hasattr(Language, n)]
    return LanguageDetectorBuilder.from_languages(*langs).build()


def identify(text: str) -> str | None:
    """ISO 639-1 code of the text's language when it is clearly not Dutch or English, else None."""
    if len(text.strip()) < _MIN_OTHER_CHARS:
        return None
    from lingua import Language

    best = _wide().compute_language_confidence_values(text)[0]
    if best.language in (Language.DUTCH, Language.ENGLISH) or best.value < _MIN_OTHER_CONFIDENCE:
        return None
    return best.language.iso_code_639_1.name.lower()


def detect(text: str, default: str = "nl") -> str:
    """'nl', 'en' or 'other'; `default` when the text is too short or mixed to tell."""
    if len(text.strip()) < 12:
        return default
    if identify(text):
        return OTHER
    from lingua import Language

    conf = _detector().compute_language_confidence_values(text)
    best = conf[0]
    if best.value < 0.6:
        return default
    return "nl" if best.language == Language.DUTCH else "en"
