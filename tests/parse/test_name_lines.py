"""``NameLines``: the line of each object's name field, found by its literal (a fast scan) where
the multiline match it replaced found it."""

from __future__ import annotations

from pathlib import Path

import regex

from analyzer.parse.objects import NameLines

ROOT = Path(__file__).resolve().parents[2]


# the line finder NameLines replaced: one multiline match per name field, the reference for lines
_OLD_NAME_LINE = regex.compile(r'^\s*(?:"name"\s*:\s*"(?P<j>[^"]+)"|-?\s*name:\s*["\']?(?P<y>[^"\'\s]+))', regex.M)


def _old_lines(text: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for m in _OLD_NAME_LINE.finditer(text):
        out.setdefault(m["j"] or m["y"], []).append(text.count("\n", 0, m.start()) + 1)
    return out


def test_name_lines_as_the_multiline_match_found_them() -> None:
    files = sorted(p for p in (ROOT / "sample_bundles").rglob("*") if p.suffix in (".yaml", ".json") and p.is_file())
    assert len(files) > 20
    extra = ['items:\n- metadata:\n\n    name: a\n  spec:\n    containers:\n    -\n      name: b\n',
             '{\n  "name": "x",\n\n\n  "name": "y", "name": "z"\n}\n', "foo: bar name: q\n  -  name: r\n"]
    for text in [p.read_text(errors="replace") for p in files] + extra:
        assert NameLines(text)._lines == _old_lines(text)
