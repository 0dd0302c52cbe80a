"""The repository explains itself: code and docs cite only what is inside it.

Reasons live in docs/decisions.md (or beside the code); a citation of a numbered decision or
issue kept elsewhere, or of a folder outside the repository, would send a reader nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READ = ("*.py", "*.md", "*.po", "*.toml", "*.yml", "*.ini", "Makefile")
SKIPPED_DIRS = {".venv", ".venv-llm", ".git", "node_modules", "__pycache__", ".pytest_cache"}
OUTSIDE_CITATION = re.compile(r"\b(?:decision|issue)\s+#?\d+\b|\.\./shared|(?-i:DECISIONS\.md)", re.IGNORECASE)
DECISION_CITATION = re.compile(r"docs/decisions\.md: ([A-Z][^)`\n]*?)(?:\)|$| \(|\.$)", re.MULTILINE)
THIS_FILE = Path(__file__).resolve()


def repository_texts() -> list[Path]:
    found = set()
    for pattern in READ:
        for path in ROOT.rglob(pattern):
            if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts) and path.is_file():
                found.add(path)
    return sorted(found)


def decision_headings() -> set[str]:
    text = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    return {line[4:].strip() for line in text.splitlines() if line.startswith("### ")}


def test_nothing_cites_a_numbered_decision_or_issue_kept_outside_the_repository():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}"
        for path in repository_texts() if path != THIS_FILE
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if OUTSIDE_CITATION.search(line)
    ]
    assert offenders == []


def test_every_cited_decision_is_an_entry_of_docs_decisions():
    headings = decision_headings()
    cited = {
        (str(path.relative_to(ROOT)), match.group(1).strip())
        for path in repository_texts() if path != THIS_FILE
        for match in DECISION_CITATION.finditer(path.read_text(encoding="utf-8", errors="replace"))
    }
    assert cited, "no citation found: the pattern no longer matches how the code cites"
    assert [(path, title) for path, title in sorted(cited) if title not in headings] == []


@pytest.mark.parametrize("text", ["see Decision 16", "(issue 8)", "../shared/DECISIONS.md", "issue #12"])
def test_the_check_recognises_outside_citations(text):
    assert OUTSIDE_CITATION.search(text)
