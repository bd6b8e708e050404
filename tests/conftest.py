"""Session-wide test setup: ``tests/`` is importable (``testkit``), the sample analyses are shared
and closed at the end, the suite runs on the default matcher, kubectl runs without Go's garbage
collector on one thread, and counts that tests record as ``count:WHAT`` properties (the hostile inputs run, say)
are summed up at the end of the run.

The default matcher is the Polars path that ``pip install .`` gives; with hyperscan installed
(the ``test`` extra brings it) the analyzer would take the accelerator instead, so the suite
pins ``BUNDLE_ANALYZER_BACKEND=polars`` (subprocesses inherit it) unless the run sets it;
``tests/bench/test_accelerator.py`` compares the two finders explicitly.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("BUNDLE_ANALYZER_BACKEND", "polars")
# kubectl runs some thousand times (the collector round trips); a short-lived Go program needs no
# garbage collector, and without it each run takes about a quarter less CPU
os.environ.setdefault("GOGC", "off")
# and on one OS thread: it sends one request and exits, Go's scheduler on every core only spins
# (the release kubectl takes some 5% less CPU for `get pods -o json` so, the gcloud one a fifth)
os.environ.setdefault("GOMAXPROCS", "1")

from testkit import samples  # noqa: E402 - after the backend is chosen

_COUNTS: dict[str, int] = {}
_SETS: dict[str, set[str]] = {}
_MAX: dict[str, tuple[int, str]] = {}


@pytest.fixture(scope="session")
def library():
    """The built-in pattern library, loaded once (``testkit.samples.library``)."""
    return samples.library()


# The tests that take longest (CPU seconds on one core, measured with --durations), longest first.
# pytest-xdist's worksteal hands each worker one contiguous part of the collection and steals from
# its end: a long test collected late would run alone at the end while the other cores wait.
LONG_TESTS = (
    "tests/hostile/test_hostile_inputs.py::test_hostile_input[million_members]",    # ~35 s
    "tests/bench/test_bench_smoke.py::",                                             # ~30 s
    "tests/ingest/test_realbundles.py::test_published_and_unpacked_give_the_same_tables_and_result[must-gather-",
    "tests/fleet/test_fleet_dataset.py::test_root_causes_per_bundle_equal_analyze_json",  # the fleet's dataset
    "tests/serve/test_roundtrip.py::",                                               # 8-19 s each
    "tests/hostile/test_property_run.py::",
    "tests/hostile/test_hostile_inputs.py::test_hostile_input[bomb_",
    "tests/hostile/test_cli_hostile.py::test_a_format_not_read_gets_the_same_line_from_every_command",
    "tests/collector/test_collect_serve.py::",
    "tests/realbundles/test_identity.py::test_must_gather_pods_counted_once",
    "tests/realbundles/test_state_real.py::",
)


def pytest_collection_modifyitems(config, items: list[pytest.Item]) -> None:  # noqa: ARG001 - pytest hook
    """The long tests first in each worker's part of the collection (dealt out in turn, longest
    first), the rest after them in collection order. Every worker computes the same order."""
    def rank(item: pytest.Item) -> int | None:
        return next((i for i, prefix in enumerate(LONG_TESTS) if item.nodeid.startswith(prefix)), None)

    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    ranked = sorted(((r, n) for n, item in enumerate(items) if (r := rank(item)) is not None))
    long_ones = {n for _, n in ranked}
    rest = [item for n, item in enumerate(items) if n not in long_ones]
    # the parts as worksteal cuts them: worker i gets (what is left) // (workers - i) items
    sizes, left = [], len(items)
    for i in range(workers):
        sizes.append(left // (workers - i))
        left -= sizes[-1]
    parts: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for k, (_, n) in enumerate(ranked):
        parts[k % workers].append(items[n])
    ordered: list[pytest.Item] = []
    for part, size in zip(parts, sizes):
        take = max(0, size - len(part))
        ordered += part + rest[:take]
        rest = rest[take:]
    items[:] = ordered + rest


def pytest_configure(config: pytest.Config) -> None:
    """Compile the repository's Python once, in the controller, before the workers start.

    With PYTHONDONTWRITEBYTECODE set (CI and this machine set it) no import writes bytecode, so in a
    fresh clone every ``python -m analyzer`` the tests start (over a hundred) and every worker would
    compile ``analyzer/`` from source again (a sixth to a quarter of an import's CPU). ``compileall``
    writes the ``__pycache__`` files (gitignored) whatever the flag says; the imports then read
    them, and a source changed later is recompiled by its timestamp as usual.
    """
    if hasattr(config, "workerinput"):
        return  # a pytest-xdist worker: the controller has compiled already
    import compileall

    for folder in ("analyzer", "tools", "tests"):
        compileall.compile_dir(samples.ROOT / folder, quiet=2, workers=1)


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001 - pytest hook
    samples.close_all()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Gather what tests recorded (on the controller under pytest-xdist: reports come back to it):
    ``count:`` properties summed, ``set:`` ones as sets, ``max:`` ones (``N|what``) the highest."""
    if report.when != "teardown":
        return
    for name, value in report.user_properties:
        kind, _, what = name.partition(":")
        if kind == "count":
            _COUNTS[what] = _COUNTS.get(what, 0) + int(value)
        elif kind == "set":
            _SETS.setdefault(what, set()).add(str(value))
        elif kind == "max":
            n, _, label = str(value).partition("|")
            if int(n) > _MAX.get(what, (-1, ""))[0]:
                _MAX[what] = (int(n), label)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 - pytest hook
    """What actually ran: hostile inputs, property examples, red-team cases by class and secret kind."""
    lines = []
    if _COUNTS:
        lines.append(", ".join(f"{n} {what}" for what, n in sorted(_COUNTS.items())) + " run")
    if _SETS.get("red team runs"):
        n = {what: len(_SETS.get(f"red team {what}", ())) for what in ("cases", "runs", "classes", "secret kinds")}
        mb, run = _MAX.get("red team peak MiB", (0, ""))
        lines.append(f"red team: {n['cases']} cases ({n['runs']} runs) in {n['classes']} classes, "
                     f"{n['secret kinds']} secret kinds planted; peak resident memory {mb} MiB of 1024 allowed ({run})")
    if lines:
        terminalreporter.write_sep("-", "hostile input suite")
        for line in lines:
            terminalreporter.write_line(line)


from analyzer.checks import STRICT_ENV  # noqa: E402

# a check that raises fails the test that ran it (commands run in subprocesses inherit this);
# a user's run lists such a check as "could not check" instead
os.environ[STRICT_ENV] = "1"
