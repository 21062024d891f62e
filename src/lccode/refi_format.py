"""What the REFI-QDA exchange format fixes, shared by the importer (ingest/) and the exporter (export/): the
namespaces, the official schemas (package data, validated against without any network), and how lccode marks
the model's codings so an import can tell them from people's."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
SCHEMAS = Path(__file__).resolve().parent / "resources" / "refi-qda"
MODEL_USER_PREFIX = "lccode-model:"  # User id of the model, so an import can tell model codings from people's
# Tools that drop User ids (QualCoder keeps only names) keep the User name and the selection's note: both mark the model.
MODEL_USER_NAME = "lccode model "
MODEL_MARKER = "[lccode model"


@lru_cache(maxsize=2)
def schema(name: str):
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def validation_errors(xml: bytes, schema_name: str) -> list[str]:
    """Where `xml` breaks the named schema (Project.xsd or Codebook.xsd), as 'line N: message'; [] when valid."""
    from lxml import etree

    doc = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    sch = schema(schema_name)
    if sch.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in sch.error_log]
