"""Who acts and who reads is typed: no `actor` or `user` parameter is `Any` (docs/development/typing.md).

mypy itself runs in `make lint` (`make typecheck`); these checks are cheap enough for every test run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from keyclient.audit.actors import signed_in

PACKAGE = Path(__file__).resolve().parent.parent / "keyclient"
# The names an actor or user parameter may be annotated with (keyclient/audit/actors.py).
ACTOR_TYPES = {"Actor", "Staff", "Viewer", "User", "Job", "AnonymousUser", "None"}


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts)


def _actor_parameters() -> list[tuple[str, ast.arg]]:
    """(where, parameter) for every parameter named `actor` or `user` of the application code."""
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
                    if arg.arg in ("actor", "user"):
                        where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}({arg.arg})"
                        found.append((where, arg))
    return found


def _names(annotation: ast.expr) -> set[str]:
    """The names an annotation is made of (`Actor | None` → {"Actor", "None"})."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = ast.parse(annotation.value, mode="eval").body
    return {
        n.id if isinstance(n, ast.Name) else "None"
        for n in ast.walk(annotation)
        if isinstance(n, ast.Name) or (isinstance(n, ast.Constant) and n.value is None)
    }


def test_no_actor_or_user_parameter_is_any() -> None:
    parameters = _actor_parameters()
    assert len(parameters) > 50  # the walk found the code (63 parameters when this was written)
    untyped = [where for where, arg in parameters if arg.annotation is None]
    loose = [
        f"{where}: {ast.unparse(arg.annotation)}"
        for where, arg in parameters
        if arg.annotation is not None and not _names(arg.annotation) <= ACTOR_TYPES
    ]
    assert untyped == []
    assert loose == []


def test_actor_types_name_the_user_model_for_the_type_checker_only() -> None:
    """audit sits below org in the import layers: keyclient/audit/actors.py may import the user model
    only under `if TYPE_CHECKING:` (pyproject.toml's import-linter contract lets that one import by)."""
    tree = ast.parse((PACKAGE / "audit" / "actors.py").read_text(encoding="utf-8"))
    guarded = {
        id(n)
        for block in tree.body
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for n in ast.walk(block)
    }
    org_imports = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("keyclient.org")
    ]
    assert [n.module for n in org_imports] == ["keyclient.org.models"]
    assert [n.lineno for n in org_imports if id(n) not in guarded] == []


def test_signed_in_refuses_an_anonymous_user() -> None:
    with pytest.raises(PermissionDenied):
        signed_in(AnonymousUser())


@pytest.mark.django_db
def test_signed_in_gives_back_a_logged_in_user(bank) -> None:  # type: ignore[no-untyped-def]
    rm = bank.user("rm_hd")
    assert signed_in(rm) is rm
