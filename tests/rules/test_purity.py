"""rules/ and formats/ must not import Django."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "src" / "choshu"
PURE = ("rules", "formats")


def _django_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        found += [f"line {node.lineno}: {n}" for n in names if n == "django" or n.startswith("django.")]
    return found


def test_pure_packages_do_not_import_django() -> None:
    files = [p for pkg in PURE for p in sorted((ROOT / pkg).rglob("*.py"))]
    assert any(p.parent.name == "rules" for p in files)
    offenders = {str(p.relative_to(ROOT.parent)): hits for p in files if (hits := _django_imports(p))}
    assert not offenders, f"Django imported in pure code: {offenders}"
