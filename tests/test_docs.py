"""The README and docs/*.md name only what the repository holds.

A reader (or CI's fresh clone) must be able to open every file the documentation points at:
- every relative Markdown link resolves, from the document's folder, to a file or folder inside
  the repository;
- every file path in backticks, written from the repository's root, exists: a code span counts
  as a path when it contains a "/" and its last part has an extension (`loyalty/wallet.py`) or it
  ends with "/" (`docs/`), or it is a bare Markdown file name (`README.md`). Spans that are not
  repository paths are left alone: URLs, absolute paths (`/usr/bin/chromium`, `/storefront/v1`),
  placeholders (`<token>`, `{id}`, `…`) and anything with a space (a command). Paths under a
  folder that .gitignore names (`var/`) are made at run time and need not exist;
- nothing points outside the repository (`../shared/…` is on no reader's machine).
Fenced code blocks (commands, output, the map of the code) are not read.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
NOT_A_REPO_PATH = re.compile(r"[\s<>{}…*|$~]|://")
EXTENSION = re.compile(r"\.[A-Za-z0-9]+$")


def _ignored_folders() -> tuple[str, ...]:
    """The folders .gitignore names (`var/`, `node_modules/`): made at run time."""
    lines = (ROOT / ".gitignore").read_text().splitlines()
    return tuple(line.strip().lstrip("/") for line in lines if line.strip().endswith("/"))


def _text_outside_fences(document: Path) -> list[tuple[int, str]]:
    """(line number, line) of the document, fenced code blocks blanked out."""
    text = document.read_text()
    text = FENCE.sub(lambda match: "\n" * match.group(0).count("\n"), text)
    return list(enumerate(text.splitlines(), start=1))


def _inside_repository(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT)


def _looks_like_repo_path(span: str) -> bool:
    if NOT_A_REPO_PATH.search(span) or span.startswith("/"):
        return False
    if span.startswith("../"):
        return True
    if "/" not in span:
        return span.endswith(".md")
    return span.endswith("/") or bool(EXTENSION.search(span.rsplit("/", 1)[-1]))


def _name(document: Path) -> str:
    return str(document.relative_to(ROOT))


@pytest.mark.parametrize("document", DOCUMENTS, ids=_name)
def test_every_relative_link_opens_a_file_of_the_repository(document):
    problems = []
    for number, line in _text_outside_fences(document):
        for target in LINK.findall(line):
            if SCHEME.match(target) or target.startswith("#"):
                continue  # a web address, mail, or a heading of this page
            path = target.split("#", 1)[0]
            resolved = ROOT / path.lstrip("/") if path.startswith("/") else document.parent / path
            if not _inside_repository(resolved):
                problems.append(f"{_name(document)}:{number}: {target} is outside the repository")
            elif not resolved.exists():
                problems.append(f"{_name(document)}:{number}: {target} does not exist")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("document", DOCUMENTS, ids=_name)
def test_every_file_path_in_backticks_exists_in_the_repository(document):
    made_at_run_time = _ignored_folders()
    problems = []
    for number, line in _text_outside_fences(document):
        for span in CODE_SPAN.findall(line):
            span = span.strip()
            if not _looks_like_repo_path(span):
                continue
            path = ROOT / span
            if not _inside_repository(path):
                problems.append(f"{_name(document)}:{number}: `{span}` is outside the repository")
            elif span.startswith(made_at_run_time):
                continue
            elif not path.exists() or (span.endswith("/") and not path.is_dir()):
                problems.append(f"{_name(document)}:{number}: `{span}` does not exist")
    assert not problems, "\n".join(problems)


def test_the_readme_links_the_wire_contract_of_both_apis():
    readme = (ROOT / "README.md").read_text()
    assert "](docs/api.md)" in readme
    assert (ROOT / "docs" / "api.md").is_file()
