"""The YAML reader (``parse.yaml_docs``): the fast reader only where its values are PyYAML's.

PyYAML's safe loader is the reference: every text either reads to the same documents through
``load_yaml`` as through PyYAML, or fails in both. The generated texts put the plain scalars on
which YAML 1.1 and 1.2 disagree (booleans, octals, underscores, sexagesimals, exponents, dates,
``=``, ``<<``, tags, stray colons) in every place a node can start, block and flow.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from analyzer.ingest import ReadFailed, open_bundle
from analyzer.parse import yaml_docs
from analyzer.parse.objects import ObjectFiles, ObjectsError, read_objects
from analyzer.parse.documents import MAX_DEPTH, DocumentError
from analyzer.parse.documents import load_yaml as load_bounded
from analyzer.parse.yaml_docs import load_yaml, read_yaml, reads_alike, yaml11_flags

ROOT = Path(__file__).resolve().parents[2]

ATOMS = (list("0123456789") + ["+", "-", ".", "_", "e", "E", "x", "o", "b", ":", "T", " ", "=", "~", "a", "f"]
         + ["yes", "no", "on", "off", "Yes", "NO", "On", "OFF", "true", "null", "Null", "inf", "nan", ".inf", ".NaN",
            "0x", "0o", "0b", "2021-01-02", "12:30", "y", "n", "<<", "!!str ", "!!int ", "!", "#", "%", "@"])
PLACES = ["a: {}\n", "- {}\n", "[{}]\n", "{{k: {}}}\n", "{}: v\n", "a:\n  - {}\n", "a: [x, {}]\n", "- a: {}\n",
          "a: {} # c\n", "? {}\n: v\n", "a: {},\n", "a: [{}, {}]\n", "a: {{{}: {}}}\n", "a: [\n  {},\n  {}]\n",
          "a: {{b: [{}], c: {}}}\n", "---\n{}\n", "a: |\n  {}\nb: {}\n", "a: \"x\n  {}\"\n",
          "a:\n  {}\n", "a: # c\n\n  {}\n", "-\n  {}\n", "?\n  {}\n: v\n", "a: &x\n  {}\n", "a: x\n  {}\n",
          "a: [b,\n  {}\n]\n", "{}\n", "# c\n{}\n", "a: x,\n  {}\n"]


def _pyyaml(text: str) -> str:
    try:
        return repr([d for d in yaml.load_all(text, Loader=yaml_docs._Loader) if d is not None])
    except Exception:  # noqa: BLE001 - PyYAML's constructors raise ValueError and TypeError too
        return "error"


def _ours(text: str) -> str:
    try:
        return repr(load_yaml(text))
    except yaml.YAMLError:
        return "error"


def _texts(seed: int, n: int) -> list[str]:
    rnd = random.Random(seed)

    def token() -> str:
        return "".join(rnd.choice(ATOMS) for _ in range(rnd.randint(1, 4))).strip() or "x"

    out = []
    for _ in range(n):
        place = rnd.choice(PLACES).replace("{{", "\0").replace("}}", "\1")
        while "{}" in place:
            place = place.replace("{}", token(), 1)
        out.append(place.replace("\0", "{").replace("\1", "}"))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_texts_read_as_pyyaml_reads_them(seed: int) -> None:
    texts = _texts(seed, 1500)
    fast = sum(1 for f in yaml11_flags(texts) if not f)
    assert fast > 300  # the fast reader is exercised, not bypassed
    wrong = [(t, _pyyaml(t), _ours(t)) for t in texts if _pyyaml(t) != _ours(t)]
    assert not wrong, wrong[:5]


def test_windows_line_ends_read_as_pyyaml_reads_them() -> None:
    texts = [t.replace("\n", "\r\n") for t in _texts(4, 1000)] + ["a: yes\r\nb: 0644\r\n"]
    assert yaml11_flags(["a: yes\r\n"]) == [True]
    wrong = [(t, _pyyaml(t), _ours(t)) for t in texts if _pyyaml(t) != _ours(t)]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("value", ["yes", "No", "OFF", "on", "0644", "09", "-012", "0o17", "0b101", "1_000", "7.4_",
                                   "12:30", "190:20:30", "1e3", "1.5E-3", "-.5", "+.95", "2021-08-03",
                                   "2021-08-03T09:20:00Z", "=", "<<", "!!binary aGk=", "! x", "!custom x", "0X1F",
                                   "-0Xb"])
@pytest.mark.parametrize("place", ["k: {}\n", "- {}\n", "{}: v\n", "a: [x, {}]\n", "- {} # note\n"])
def test_values_yaml_1_1_types_otherwise_go_to_pyyaml(value: str, place: str) -> None:
    text = place.replace("{}", value)
    assert yaml11_flags([text]) == [True], text
    assert _ours(text) == _pyyaml(text)


def test_collector_yaml_takes_the_fast_reader() -> None:
    # Go's marshallers quote every string that a YAML 1.1 reader would type otherwise
    text = ('apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: "2021-08-03T09:20:00Z"\n  labels:\n'
            '    enabled: "yes"\n  name: vllm-0\n  resourceVersion: "0644"\nspec:\n  containers:\n  - args:\n'
            '    - --port=8000\n    - "1e3"\n    env:\n    - name: A\n      value: "off"\n    image: vllm:v0.6\n'
            '    ports:\n    - containerPort: 8000\n    resources: {}\n  tolerations: []\n')
    assert yaml11_flags([text]) == [False]
    assert load_yaml(text) == [yaml.safe_load(text)]


@pytest.mark.parametrize("text", [
    'message: "Degraded: x\n  for y ()\\\\nIngressStateEndpointsDegraded: No\n  z"\n',   # a quoted string over lines
    "script: |\n  while [[ ! -f x ]]; do sleep 1; done\n  : \"${HOST?not set}\"\n",  # a block scalar
    "value: :5000\nsource: data:,%5Bmain\n",
    "pattern: ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$\n",
    "bind: https://[::]:8443\nhelp: The value must be in \"hostname[:port]\" format.\n",
])
def test_flagged_texts_without_a_difference_take_the_fast_reader(text: str) -> None:
    # the regex flags words that only look like node starts; PyYAML's parser says they are not
    assert yaml11_flags([text]) == [True]
    assert reads_alike(text)
    docs, fast = read_yaml(text)
    assert fast and repr(docs) == _pyyaml(text)


@pytest.mark.parametrize("text", ["a: yes\n", "a: [x, 0o17]\n", "a: !!str 3\n", "a: [b:]\n", "? 1:20\n: x\n",
                                  "a: |\n  yes\nb: 2021-08-03\n"])
def test_a_text_with_a_difference_stays_with_pyyaml(text: str) -> None:
    assert not reads_alike(text)
    try:
        docs, fast = read_yaml(text)
    except yaml.YAMLError:
        assert _pyyaml(text) == "error"
        return
    assert not fast and repr(docs) == _pyyaml(text)


def test_depth_limit_is_the_same_on_both_readers() -> None:
    def nested(levels: int, anchor: str = "") -> str:
        return "".join("  " * i + f"k{i}:{anchor if i == 0 else ''}\n" for i in range(levels - 1)) + "  " * (levels - 1) + "k: v\n"

    for anchor in ("", " &a"):
        assert len(str(load_bounded(nested(MAX_DEPTH, anchor)))) > 0
        with pytest.raises(DocumentError, match="nested deeper than 200"):
            load_bounded(nested(MAX_DEPTH + 1, anchor))


def test_floats_that_are_not_finite_read_as_their_text() -> None:
    # YAML 1.2's .inf/.nan (the fast reader) and a number too long for a float: written as text
    text = "a: .inf\nb: [-.Inf, .NaN]\nc: " + "9" * 400 + ".5\nd: 'x.info'\n"
    assert yaml11_flags([text]) == [True]
    assert load_bounded(text) == [{"a": ".inf", "b": ["-.inf", ".nan"], "c": ".inf", "d": "x.info"}]


def test_what_the_fast_reader_refuses_pyyaml_reads() -> None:
    # nesting past the fast reader's depth bound (256) but within PyYAML's reach
    deep = "".join(" " * i + f"k{i}:\n" for i in range(300)) + " " * 300 + "v\n"
    assert yaml11_flags([deep]) == [False]
    assert load_yaml(deep) == [d for d in yaml.load_all(deep, Loader=yaml_docs._Loader) if d is not None]
    # a sequence as a key: the fast reader refuses it, PyYAML refuses it too, with its own error
    with pytest.raises(yaml.YAMLError):
        load_yaml("? [1, 2]\n: x\n")


def test_without_the_fast_reader_pyyaml_reads_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _texts(7, 300)
    expected = [_ours(t) for t in texts]
    monkeypatch.setattr(yaml_docs, "fast_yaml", None)
    assert [_ours(t) for t in texts] == expected


def _bomb(levels: int, leaf: str = "x") -> bytes:
    lines = ["a0: &a0 [" + ", ".join([leaf] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("levels", [7, 9])
def test_alias_bombs_stay_refused(levels: int) -> None:
    # the fast reader refuses the expansion; PyYAML then reads it shared and the node count refuses it
    with pytest.raises(ObjectsError, match="alias"):
        read_objects(_bomb(levels), "laughs.yaml")


def test_deep_nesting_stays_a_clear_error() -> None:
    with pytest.raises(ObjectsError, match="nested too deeply|invalid YAML"):
        read_objects(("a: " + "[" * 5000 + "]" * 5000 + "\n").encode(), "deep.yaml")


def test_a_tag_refusing_its_value_is_invalid_yaml() -> None:
    with pytest.raises(ObjectsError, match=r"^invalid YAML: .*ValueError"):
        read_objects(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: !!int x\n", "cm.yaml")


def test_redaction_marker_still_reads_as_a_value() -> None:
    objs = read_objects(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  ip: ***HIDDEN***\n",
                        "cm.yaml")
    assert objs[0]["data"] == {"ip": "***HIDDEN***"}


def _yaml_files(*roots: Path) -> list[Path]:
    return sorted(p for r in roots for p in r.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def test_sample_bundles_read_as_pyyaml_reads_them() -> None:
    files = _yaml_files(ROOT / "sample_bundles", ROOT / "tests" / "fixtures")
    assert len(files) > 20
    texts = [p.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff") for p in files]
    wrong = [str(p) for p, t in zip(files, texts) if _ours(t) != _pyyaml(t)]
    assert not wrong, wrong[:5]


def test_object_files_read_every_member_once_in_any_order(tmp_path: Path) -> None:
    root = tmp_path / "b"
    root.mkdir()
    for i in range(5):
        (root / f"cm{i}.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n"
                                          f"data:\n  k: {'yes' if i == 3 else 'x'}\n")
    (root / "pods.json").write_text('{"apiVersion": "v1", "kind": "List", "items": []}')
    with open_bundle(str(root)) as bundle:
        members = sorted(bundle.by_kind("objects"), key=lambda m: m.path)
        files = ObjectFiles(members, 1 << 20, ahead=64)  # a small window: several fills
        got = {m.path: files.read(m) for m in reversed(members)}
        assert {p: f for p, (_, f) in got.items()} == {"cm0.yaml": False, "cm1.yaml": False, "cm2.yaml": False,
                                                      "cm3.yaml": True, "cm4.yaml": False, "pods.json": None}
        # a YAML file comes as its text (decoded once, for its flag), JSON as its bytes
        assert all(data == (root / p).read_text() for p, (data, _) in got.items() if p.endswith(".yaml"))
        assert got["pods.json"][0] == (root / "pods.json").read_bytes()
        assert files.read(members[0]) == got[members[0].path]  # read again when asked again


def test_object_files_raise_what_the_member_raises(tmp_path: Path) -> None:
    root = tmp_path / "b"
    root.mkdir()
    (root / "big.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  a: " + "x" * 5000 + "\n")
    (root / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n")
    with open_bundle(str(root)) as bundle:
        members = sorted(bundle.by_kind("objects"), key=lambda m: m.path)
        files = ObjectFiles(members, 1000)
        with pytest.raises(ReadFailed):
            files.read(members[0])
        data, flag = files.read(members[1])
        assert flag is False and read_objects(data, "ok.yaml", None, flag)[0]["metadata"]["name"] == "ok"
