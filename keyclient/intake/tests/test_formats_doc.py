from pathlib import Path

from keyclient.intake.formats import markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "intake.md"


def test_docs_intake_lists_the_declared_formats() -> None:
    assert markdown() in DOC.read_text(encoding="utf-8"), (
        "regenerate the tables: python -c 'from keyclient.intake.formats import markdown; print(markdown())'"
    )
