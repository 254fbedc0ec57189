"""Docs that cannot drift: the README's examples run, format.md's generated sections are
current, docstring examples pass (the public root is checked in test_public_api.py)."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_quick_start_runs() -> None:
    """The README's Python quick start executes and prints what it promises."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    assert blocks, "README has no python block"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], "README.md", "exec"), {})  # noqa: S102 - our own README
    lines = out.getvalue().splitlines()
    assert lines[0] == "李子涵"
    assert lines[1].startswith("yes ")
    assert lines[2] == "expired"


def _run_readme_block(heading: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(heading, 1)[1]
    block = re.findall(r"```python\n(.*?)```", section, re.DOTALL)[0]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - our own README
    return out.getvalue().splitlines()


def test_readme_trust_list_example_runs() -> None:
    """The README's trust-list example rotates, revokes and refuses a rollback as it says."""
    lines = _run_readme_block("### Trust list lifecycle")
    assert lines == ["True", "True", "key_revoked", "trust_list_rollback"]


def test_readme_views_example_runs() -> None:
    """The README's views example shows an age attestation alone and a rental view without
    the ID number."""
    lines = _run_readme_block("### Disclosure views")
    assert lines == ["{'age_over_18': True} True", "LI False"]


def test_readme_status_example_runs() -> None:
    """The README's status example shows a valid, a suspended and a stale-accepted credential."""
    lines = _run_readme_block("### Status and data freshness")
    assert lines == ["valid 1:00:00", "suspended", "True ['status_unavailable']"]


def test_format_doc_generated_sections_are_current() -> None:
    """docs/format.md's generated sections equal what scripts/gen_format_doc.py produces now."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_format_doc.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_docs_exist() -> None:
    """The documents the README links to are present."""
    for doc in ("docs/format.md", "docs/architecture.md", "CHANGELOG.md", "LICENSE"):
        assert (ROOT / doc).is_file(), doc


def test_format_spec_is_self_contained() -> None:
    """docs/format.md names no file outside the repository (issue 9 item 17)."""
    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    assert "../" not in text
    assert "licence-model" not in text
    assert "shared/" not in text
