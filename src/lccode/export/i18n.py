"""Column headers, sheet names and report text in English and Dutch."""

from __future__ import annotations

LANGS = ("en", "nl")

TEXT: dict[str, tuple[str, str]] = {
    # columns
    "segment_key": ("Segment key", "Segmentsleutel"),
    "transcript": ("Transcript", "Transcript"),
    "community": ("Community", "Community"),
    "level": ("Level", "Niveau"),
    "kind": ("Kind", "Soort"),
    "language": ("Language", "Taal"),
    "speaker": ("Speaker", "Spreker"),
    "role": ("Speaker role", "Rol spreker"),
    "turn": ("Turn", "Spreekbeurt"),
    "start_time": ("Start time", "Begintijd"),
    "end_time": ("End time", "Eindtijd"),
    "start_char": ("Start (character)", "Begin (teken)"),
    "end_char": ("End (character)", "Eind (teken)"),
    "code_id": ("Code id", "Code-id"),
    "code": ("Code", "Code"),
    "category_id": ("Category id", "Categorie-id"),
    "category": ("Category", "Categorie"),
    "probability": ("Model probability", "Kans volgens model"),
    "source": ("Decided by", "Besloten door"),
    "reviewed_by": ("Reviewed by", "Beoordeeld door"),
    "text": ("Text", "Tekst"),
    "dimension": ("Breakdown", "Uitsplitsing"),
    "group": ("Group", "Groep"),
    "segments": ("Coded segments", "Gecodeerde fragmenten"),
    "group_segments": ("Segments in group", "Fragmenten in groep"),
    "share_segments": ("Share of segments", "Aandeel fragmenten"),
    "transcripts": ("Transcripts with code", "Transcripten met code"),
    "group_transcripts": ("Transcripts in group", "Transcripten in groep"),
    "share_transcripts": ("Share of transcripts", "Aandeel transcripten"),
    "reviewed": ("Reviewed segments", "Beoordeelde fragmenten"),
    "share_reviewed": ("Share reviewed", "Aandeel beoordeeld"),
    "unit": ("Unit", "Eenheid"),
    "code_a_id": ("Code A id", "Code-id A"),
    "code_a": ("Code A", "Code A"),
    "code_b_id": ("Code B id", "Code-id B"),
    "code_b": ("Code B", "Code B"),
    "count": ("Together", "Samen"),
    "count_a": ("With code A", "Met code A"),
    "count_b": ("With code B", "Met code B"),
    "jaccard": ("Jaccard", "Jaccard"),
    "rank": ("Rank", "Rang"),
    "definition": ("Definition", "Definitie"),
    "color": ("Colour", "Kleur"),
    "key": ("Item", "Onderdeel"),
    "value": ("Value", "Waarde"),
    # sheets (Excel allows 31 characters)
    "sheet_excerpts": ("Coded excerpts", "Gecodeerde fragmenten"),
    "sheet_codes": ("Codes by group", "Codes per groep"),
    "sheet_categories": ("Categories by group", "Categorieën per groep"),
    "sheet_matrix": ("Community x code", "Community x code"),
    "sheet_cooccurrence": ("Co-occurrence", "Samen voorkomen"),
    "sheet_exemplars": ("Exemplar quotes", "Voorbeeldcitaten"),
    "sheet_codebook": ("Codebook", "Codeboek"),
    "sheet_provenance": ("Provenance", "Herkomst"),
    # values
    "v_corpus": ("Whole corpus", "Hele corpus"),
    "v_all": ("all", "alles"),
    "v_model": ("model", "model"),
    "v_analyst": ("analyst", "analist"),
    "v_meeting": ("meeting", "bijeenkomst"),
    "v_interview": ("interview", "interview"),
    "v_facilitator": ("facilitator", "procesbegeleider"),
    "v_participant": ("participant", "deelnemer"),
    "v_respondent": ("respondent", "respondent"),
    "v_interviewer": ("interviewer", "interviewer"),
    "v_segment": ("segment", "fragment"),
    "v_turn": ("speaker turn", "spreekbeurt"),
    "v_nl": ("Dutch", "Nederlands"),
    "v_en": ("English", "Engels"),
    # provenance items
    "p_lccode_version": ("lccode version", "lccode-versie"),
    "p_created_at": ("Created", "Gemaakt op"),
    "p_workspace": ("Workspace", "Werkmap"),
    "p_codebook": ("Codebook", "Codeboek"),
    "p_codebook_hash": ("Codebook hash (SHA-256)", "Hash codeboek (SHA-256)"),
    "p_model_id": ("Model", "Model"),
    "p_model_hash": ("Model hash (SHA-256)", "Hash model (SHA-256)"),
    "p_base_model": ("Base model", "Basismodel"),
    "p_coded_at": ("Coded at", "Gecodeerd op"),
    "p_transcripts": ("Transcripts", "Transcripten"),
    "p_segments": ("Segments", "Fragmenten"),
    "p_coded_segments": ("Segments in these figures (seen by the model or a person)",
                         "Fragmenten in deze cijfers (bekeken door model of persoon)"),
    "p_reviewed_segments": ("Segments reviewed by a person", "Fragmenten beoordeeld door een persoon"),
    "p_share_reviewed": ("Share reviewed", "Aandeel beoordeeld"),
    "p_dev": ("Model on its dev set", "Model op de dev-set"),
    "m_n": ("dev segments", "dev-fragmenten"),
    "m_micro_f1": ("micro-F1", "micro-F1"),
    "m_macro_f1": ("macro-F1", "macro-F1"),
    "m_micro_precision": ("precision (micro)", "precisie (micro)"),
    "m_micro_recall": ("recall (micro)", "recall (micro)"),
    "m_mean_kappa": ("mean Cohen's kappa", "gemiddelde kappa van Cohen"),
    "m_krippendorff_alpha": ("Krippendorff's alpha", "alfa van Krippendorff"),
    "m_excerpts": ("on dev excerpts", "op dev-fragmenten"),
    "m_dev_turns": ("on dev transcripts, per speaker turn", "op dev-transcripten, per spreekbeurt"),
    "m_test_turns": ("on held-out transcripts, per speaker turn", "op achtergehouden transcripten, per spreekbeurt"),
    "m_check_excerpts": ("on held-out excerpts by writers who never saw the training data",
                         "op achtergehouden fragmenten van schrijvers die de trainingsdata nooit zagen"),
    "m_unreliable": ("codes not yet reliable (kappa < 0.6)", "codes nog niet betrouwbaar (kappa < 0,6)"),
    "r_unreliable": ("Not yet reliable: the model's agreement with human coders on held-out transcripts is too low "
                     "(kappa < 0.6) to report these counts without review: {codes}.",
                     "Nog niet betrouwbaar: de overeenstemming van het model met menselijke codeurs op achtergehouden "
                     "transcripten is te laag (kappa < 0,6) om deze aantallen zonder controle te rapporteren: {codes}."),
    "r_prov_what": ("What produced this report", "Waarmee dit rapport is gemaakt"),
    "r_prov_figures": ("Coverage", "Dekking"),
    "p_no_model": ("no model run (codes from people only)", "geen modelrun (alleen codes van mensen)"),
    # report
    "r_title": ("Coding report", "Codeerrapport"),
    "r_generated": ("Generated {date} with lccode {version}", "Gemaakt op {date} met lccode {version}"),
    "r_kpi_transcripts": ("transcripts", "transcripten"),
    "r_kpi_communities": ("communities", "communities"),
    "r_kpi_segments": ("segments in these figures (seen by the model or a person)",
                       "fragmenten in deze cijfers (bekeken door model of persoon)"),
    "r_kpi_with_code": ("segments with at least one code", "fragmenten met minstens één code"),
    "r_kpi_reviewed": ("of segments reviewed by a person", "van de fragmenten beoordeeld door een persoon"),
    "r_kpi_f1": ("model macro-F1 on its dev set", "macro-F1 van het model op de dev-set"),
    "r_contents": ("Contents", "Inhoud"),
    "r_heatmap": ("Codes per community", "Codes per community"),
    "r_heatmap_note": ("Colour: share of the community's coded segments that carry the code. Number: how many segments.",
                       "Kleur: aandeel van de gecodeerde fragmenten van de community met deze code. Getal: aantal fragmenten."),
    "r_categories": ("Codes per category", "Codes per categorie"),
    "r_bars_note": ("Bars: segments with the code in the whole corpus; the solid part was reviewed by a person. "
                    "Label: share of all coded segments, and in how many transcripts the code occurs.",
                    "Balken: fragmenten met de code in het hele corpus; het volle deel is door een persoon beoordeeld. "
                    "Label: aandeel van alle gecodeerde fragmenten, en in hoeveel transcripten de code voorkomt."),
    "r_bars_x": ("segments", "fragmenten"),
    "r_bars_tr": ("transcripts", "transcripten"),
    "r_breakdown": ("By level, kind, language and speaker role", "Naar niveau, soort, taal en rol van de spreker"),
    "r_breakdown_note": ("Share of coded segments with at least one code of the category (number of segments).",
                         "Aandeel gecodeerde fragmenten met minstens één code uit de categorie (aantal fragmenten)."),
    "r_cooc": ("Codes that occur together", "Codes die samen voorkomen"),
    "r_cooc_note": ("Pairs of codes on the same segment, and within the same speaker turn. Jaccard: together / either.",
                    "Paren codes op hetzelfde fragment, en binnen dezelfde spreekbeurt. Jaccard: samen / een van beide."),
    "r_in_segment": ("Within a segment", "Binnen een fragment"),
    "r_in_turn": ("Within a speaker turn", "Binnen een spreekbeurt"),
    "r_none_yet": ("None yet.", "Nog geen."),
    "r_communities": ("Communities", "Communities"),
    "r_community_x": ("share of the community's segments", "aandeel van de fragmenten van de community"),
    "r_whole_corpus": ("whole corpus", "hele corpus"),
    "r_quotes": ("Exemplar quotes", "Voorbeeldcitaten"),
    "r_quotes_note": ("Per code: reviewed quotes first, then those the model is most sure of.",
                      "Per code: eerst beoordeelde citaten, dan die waar het model het zekerst van is."),
    "r_reviewed": ("reviewed", "beoordeeld"),
    "r_chars": ("characters", "tekens"),
    "r_no_codes": ("No coded segments in this community yet.", "Nog geen gecodeerde fragmenten in deze community."),
    "r_codebook": ("Codebook", "Codeboek"),
    "r_provenance": ("Provenance", "Herkomst"),
    "r_provenance_note": ("Every figure can be traced to the segments behind it in the XLSX/CSV export (segment keys).",
                          "Elk getal is terug te voeren op de fragmenten erachter in de XLSX/CSV-export (segmentsleutels)."),
    "r_unprocessed": ("{n} segments have not been coded yet and are not in these figures.",
                      "{n} fragmenten zijn nog niet gecodeerd en tellen niet mee in deze cijfers."),
    "r_unprocessed_one": ("1 segment has not been coded yet and is not in these figures.",
                          "1 fragment is nog niet gecodeerd en telt niet mee in deze cijfers."),
    "r_human_override": ("Where a person reviewed a segment, their decision replaces the model's everywhere in this report.",
                         "Waar een persoon een fragment heeft beoordeeld, vervangt dat besluit overal in dit rapport dat van het model."),

}


def t(key: str, lang: str) -> str:
    en, nl = TEXT[key]
    return nl if lang == "nl" else en


def value(v, lang: str):
    """A stored value (role, kind, language...) in the reader's language; anything else unchanged."""
    if isinstance(v, str) and f"v_{v}" in TEXT:
        return t(f"v_{v}", lang)
    return v


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        from lccode.errors import InputError

        raise InputError(f"unknown language '{lang}'", field="--lang", expected=" | ".join(LANGS),
                         fix="use --lang nl for Dutch or --lang en for English")
    return lang
