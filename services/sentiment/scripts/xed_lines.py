"""The permissive XED train lines (``{es,de,fr,it,pt}-projections.tsv``, ``en-annotated.tsv``;
CC BY 4.0, read by path, nothing copied) as the language scripts read them
(check_language_vote.py, fit_language_prefix.py): each line's text, kept when it holds three
letters or more."""

from __future__ import annotations

from pathlib import Path

FILES = {
    "en": "en-annotated.tsv",
    "es": "es-projections.tsv",
    "de": "de-projections.tsv",
    "fr": "fr-projections.tsv",
    "it": "it-projections.tsv",
    "pt": "pt-projections.tsv",
}


def xed_lines(train: Path, code: str) -> list[str]:
    """The texts of language ``code``'s XED train file under ``train`` (the shared train
    folder), stripped, with three letters or more."""
    texts = []
    for line in (train / "xed" / FILES[code]).read_text("utf-8").splitlines():
        text = line.split("\t")[0].strip()
        if sum(map(str.isalpha, text)) >= 3:
            texts.append(text)
    return texts
