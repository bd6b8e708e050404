"""The `bundle-analyzer` command: option parsing only; every command calls one library function.

Library errors become one-line messages (exit 2) that say what to do next. Ctrl-C and SIGTERM end
a run at once (exit 130 and 143), after the temporary files are removed. Whatever reaches a
terminal passes ``analyzer.terminal.for_terminal`` (no escape sequence from a bundle is obeyed).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from analyzer import __version__
from analyzer.terminal import for_terminal


class UsageError(click.ClickException):
    """A one-line message for bad usage or unreadable input; exits 2."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(for_terminal(message).split()))


class Interrupted(click.ClickException):
    """The run was stopped by Ctrl-C (exit 130) or SIGTERM (exit 143)."""

    def __init__(self, name: str, code: int) -> None:
        super().__init__(f"interrupted by {name}; temporary files removed")
        self.exit_code = code


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so that every cleanup runs."""


def _on_sigterm(signum: int, frame: Any) -> None:  # noqa: ARG001 - signal handler signature
    raise _Terminated()


class _Main(click.Group):
    """The command group: SIGTERM and Ctrl-C become a one-line message after cleanup."""

    def invoke(self, ctx: click.Context) -> Any:
        previous = None
        with contextlib.suppress(ValueError):  # not the main thread (an embedding caller)
            previous = signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            return super().invoke(ctx)
        except _Terminated:
            raise Interrupted("SIGTERM", 128 + signal.SIGTERM) from None
        except KeyboardInterrupt:
            raise Interrupted("Ctrl-C", 128 + signal.SIGINT) from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


def _echo(text: str, nl: bool = True) -> None:
    """Write to stdout; a terminal gets the text without escape sequences."""
    click.echo(for_terminal(text) if sys.stdout.isatty() else text, nl=nl)


def _byte_count(value: str) -> int:
    from analyzer.parse.quantity import byte_size

    size = byte_size(value)
    if size is None or size < 1:
        raise click.BadParameter(f"{value!r} is not a size (e.g. 1GiB, 512M, 3000000)")
    return int(size)


def max_stdin_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--max-stdin-bytes``: how much of standard input (INPUT ``-``) is read at most."""
    return click.option(
        "--max-stdin-bytes", "max_stdin", default="1GiB", show_default=True, metavar="SIZE",
        callback=lambda ctx, param, value: _byte_count(value),
        help="Read at most SIZE bytes (decompressed) from standard input (INPUT -); the rest is "
             "listed as not read.")(command)


@contextlib.contextmanager
def _stdin_limit(max_stdin: int) -> Iterator[None]:
    from dataclasses import replace

    from analyzer.ingest import Limits, default_limits

    with default_limits(replace(Limits(), max_stdin_bytes=max_stdin)):
        yield


def _output_file(path: Path | None) -> None:
    """``-o`` must name a file: not a directory, and not below a file."""
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"{path} is a directory: -o takes a file name here (e.g. {path / 'report'})")
    _no_file_above(path)


def _output_dir(path: Path) -> None:
    """``-o`` must name a directory (made when missing): not an existing file, and not below one."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is a file: -o takes a directory here")
    _no_file_above(path)


def _no_file_above(path: Path) -> None:
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{parent} is a file, not a directory: cannot write {path}")
            return


def _write_error(path: Path | None, exc: OSError) -> UsageError:
    return UsageError(f"cannot write {exc.filename or path}: {exc.strerror or exc}")


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bundle-analyzer")
def main() -> None:
    """Find root causes in support bundles of GPU inference on Kubernetes.

    Start with: bundle-analyzer analyze BUNDLE
    """


@main.command()
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path), required=True,
              help="Directory to write the tables into.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet",
              show_default=True)
@click.option("--no-redact", is_flag=True, help="Keep secrets found in the bundle (off by default).")
@max_stdin_option
def tables(input_path: str, output: Path, fmt: str, no_redact: bool, max_stdin: int) -> None:
    """Write the parsed tables of INPUT (dir, archive, file or -) as Parquet or CSV."""
    from analyzer.ingest import BundleError
    from analyzer.pipeline import write_tables

    _output_dir(output)
    try:
        with _stdin_limit(max_stdin):
            written = write_tables(input_path, output, fmt, redact=not no_redact)
    except BundleError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise _write_error(output, exc) from exc
    for name, rows in written.items():
        click.echo(f"{name}\t{rows}")


@main.command()
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path), required=True,
              help="New directory, or a .tar.gz/.tgz/.tar file, for the redacted copy.")
@click.option("--pseudonymize", default="", metavar="ips,hosts",
              help="Also replace IP addresses and/or host names by pseudonyms.")
@max_stdin_option
def redact(input_path: str, output: Path, pseudonymize: str, max_stdin: int) -> None:
    """Write a redacted copy of INPUT to OUTPUT, plus OUTPUT.mapping.private.json (keep it private)."""
    from analyzer.redact import RedactError, redact_bundle

    _no_file_above(output)
    try:
        with _stdin_limit(max_stdin):
            report = redact_bundle(input_path, output, pseudonymize)
    except RedactError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise _write_error(output, exc) from exc
    _echo(report.format_text())


@main.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Write the script to FILE (made executable) instead of stdout.")
def collector(output: Path | None) -> None:
    """Write the collector script (collect-bundle.sh) for the customer to run.

    It needs bash, kubectl, tar and gzip; run it with --help for its options.
    """
    from analyzer.collector import script_text, write_script

    if output is None:
        click.echo(script_text(), nl=False)
        return
    try:
        write_script(output)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"Wrote {output}. Run it where kubectl reaches the cluster: bash {output} --help", err=True)


@main.command()
@click.argument("input_path", metavar="INPUT")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1; 0 picks a free one (printed).")
@click.option("--kubeconfig", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="Where to create the kubeconfig for kubectl, a new file (default: a new file of a random name "
                   "in the temp folder); removed when serve stops.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request on stderr.")
@max_stdin_option
def serve(input_path: str, port: int, kubeconfig: Path | None, verbose: bool, max_stdin: int) -> None:
    """Serve INPUT as a read-only Kubernetes API on 127.0.0.1 for kubectl get/describe/logs."""
    from analyzer.ingest import BundleError
    from analyzer.serve import KubeconfigError
    from analyzer.serve import serve as run

    try:
        with _stdin_limit(max_stdin):
            run(input_path, port, kubeconfig, echo=lambda line: click.echo(for_terminal(line)), verbose=verbose)
    except (BundleError, KubeconfigError) as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from exc


@main.group()
def patterns() -> None:
    """Browse and check the pattern library."""


def _library(extra: tuple[Path, ...] = ()):
    from analyzer.library import LibraryError, load_library

    try:
        return load_library(extra)
    except LibraryError as exc:
        raise UsageError(str(exc)) from exc


@patterns.command("list")
@click.option("--patterns", "extra", multiple=True, type=click.Path(path_type=Path),
              help="Extra directory of pattern files (repeatable).")
def patterns_list(extra: tuple[Path, ...]) -> None:
    """One line per pattern: id, severity, category, title."""
    for p in _library(extra):
        click.echo(f"{p.id}\t{p.severity}\t{p.category}\t{p.title}")


@patterns.command("show")
@click.argument("pattern_id")
@click.option("--patterns", "extra", multiple=True, type=click.Path(path_type=Path))
def patterns_show(pattern_id: str, extra: tuple[Path, ...]) -> None:
    """The documentation page of one pattern."""
    from analyzer.library import LibraryError, pattern_page

    try:
        click.echo(pattern_page(_library(extra).get(pattern_id)))
    except LibraryError as exc:
        raise UsageError(str(exc)) from exc


@patterns.command("export")
@click.option("--format", "fmt", type=click.Choice(["rg", "tsv"]), default="rg", show_default=True,
              help="rg: one scoped regex per line for `rg -f`; tsv: id and regex.")
@click.option("--source", "sources", multiple=True,
              type=click.Choice(["log", "events", "describe", "text", "metrics", "objects"]),
              help="Only patterns that apply to this source kind (repeatable).")
@click.option("--patterns", "extra", multiple=True, type=click.Path(path_type=Path))
def patterns_export(fmt: str, sources: tuple[str, ...], extra: tuple[Path, ...]) -> None:
    """The library for other engines: `rg -f FILE` or a TSV of id and regex."""
    from analyzer.export import export_patterns

    chosen = [p for p in _library(extra) if not sources or set(p.sources) & set(sources)]
    click.echo(export_patterns(chosen, fmt), nl=False)


@patterns.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def patterns_check(directory: Path | None) -> None:
    """Lint the library (or DIRECTORY) and run every pattern's examples."""
    from analyzer.library import check_library

    result = check_library(directory)
    for problem in result.problems:
        click.echo(problem)
    click.echo(f"{result.patterns} patterns, {result.examples} examples, "
               f"{len(result.problems)} problems")
    if result.problems:
        sys.exit(1)


@main.command("ft-summary")
@click.argument("dirs", nargs=-1, required=True, metavar="DIR...", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["grid", "md", "json", "html"]), default="grid",
              show_default=True)
@click.option("--sla", type=float, default=None, metavar="SECONDS",
              help="Count successful requests slower than this (Violations Before/After).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Write here, not stdout.")
@max_stdin_option
def ft_summary(dirs: tuple[Path, ...], fmt: str, sla: float | None, output: Path | None, max_stdin: int) -> None:
    """The fault-tolerance test summary of DIR (a results root or a test_fault_scenario[...] folder,
    as a directory or an archive such as .tgz or .zip)."""
    from analyzer.ft import FtInputError, render, summarize

    _output_file(output)
    try:
        with _stdin_limit(max_stdin):
            text = render(summarize(list(dirs), sla=sla), fmt)
    except FtInputError as exc:
        raise UsageError(str(exc)) from exc
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _write_error(output, exc) from exc
    else:
        _echo(text, nl=False)


SEVERITY_CHOICES = click.Choice(["critical", "error", "warning", "info"])


@main.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json", "parquet"]), default="md",
              show_default=True, help="Report format (parquet needs -o DIR).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here instead of stdout.")
@click.option("--patterns", "extra", multiple=True, type=click.Path(path_type=Path),
              help="Extra directory of pattern files (repeatable; may override ids).")
@click.option("--fail-on", type=SEVERITY_CHOICES,
              help="Exit 1 when a root cause at or above this severity is found.")
@click.option("--no-redact", is_flag=True, help="Show secrets found in the bundle (off by default).")
@click.option("--max-chars", type=int, help="Markdown: cut at a section boundary to fit N characters.")
@max_stdin_option
def analyze(inputs: tuple[str, ...], fmt: str, output: Path | None, extra: tuple[Path, ...],
            fail_on: str | None, no_redact: bool, max_chars: int | None, max_stdin: int) -> None:
    """Diagnose INPUT (bundle dir, archive, pasted file, or - for stdin) and write a report."""
    with _stdin_limit(max_stdin):
        _analyze(inputs, fmt, output, extra, fail_on, no_redact, max_chars)


def _analyze(inputs: tuple[str, ...], fmt: str, output: Path | None, extra: tuple[Path, ...],
             fail_on: str | None, no_redact: bool, max_chars: int | None) -> None:
    from analyzer.ingest import BundleError, UnsupportedFormat
    from analyzer.pipeline import analyze_path, no_readable_file, write_report
    from analyzer.taxonomy import at_least

    if fmt == "parquet" and output is None:
        raise UsageError("--format parquet writes a directory of tables: give it with -o DIR")
    if output is not None:
        (_output_dir if fmt == "parquet" else _output_file)(output)
    library = _library(extra)
    worst_hit = False
    for source in inputs:
        try:
            analysis = analyze_path(source, library, redact=not no_redact)
        except UnsupportedFormat as exc:  # the same line as every other command's
            raise UsageError(str(exc)) from exc
        except BundleError as exc:
            raise UsageError(f"{exc}. Give a bundle directory, a .tar/.tar.gz/.tar.xz/.tar.bz2/.tar.zst/.zip "
                             "archive, a text file, or - for stdin.") from exc
        unreadable = no_readable_file(analysis.result)
        if unreadable:
            analysis.close()
            raise UsageError(f"{source}: {unreadable}. Give a bundle with logs, describe output, "
                             "events or objects.")
        target = output
        if output is not None and len(inputs) > 1:
            target = output.with_name(f"{output.stem}-{Path(source).name}{output.suffix}")
        with analysis:
            try:
                text = write_report(analysis, fmt, target, max_chars=max_chars)
            except OSError as exc:
                raise _write_error(target, exc) from exc
        if text is not None:
            _echo(text, nl=not text.endswith("\n"))
        if fail_on and any(at_least(rc["severity"], fail_on) for rc in analysis.result["root_causes"]):
            worst_hit = True
    if worst_hit:
        sys.exit(1)


class _FleetGroup(click.Group):
    """``fleet INPUT... -o DATASET`` runs ``fleet run``; ``fleet report DATASET`` reports."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@main.group(cls=_FleetGroup)
def fleet() -> None:
    """Analyse many bundles into one Parquet dataset, and report on it.

    \b
    bundle-analyzer fleet INPUT... -o DATASET      (same as: fleet run INPUT... -o DATASET)
    bundle-analyzer fleet report DATASET --format html -o fleet.html
    """


@fleet.command("run")
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True)
@click.option("-o", "--output", "dataset", type=click.Path(path_type=Path), required=True,
              metavar="DATASET", help="Dataset folder (created; a rerun adds only new or changed bundles).")
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE",
              help="Label every bundle of this run (repeatable); wins over customer/ticket folders.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: a process pool on this machine; ray: Ray tasks (pip install '.[ray]').")
@click.option("--address", default=None, metavar="ADDR",
              help="Ray cluster: auto, ray://HOST:10001 or HOST:6379 (default: start a local Ray).")
@click.option("-j", "--jobs", type=click.IntRange(1, None), default=None,
              help="Local pool size (default: every core; 1 = in this process).")
@click.option("--patterns", "extra", multiple=True, type=click.Path(path_type=Path),
              help="Extra directory of pattern files (repeatable), as for analyze.")
@click.option("--no-redact", is_flag=True, help="Keep secrets found in the bundles (off by default).")
def fleet_run(inputs: tuple[str, ...], dataset: Path, labels: tuple[str, ...], engine: str,
              address: str | None, jobs: int | None, extra: tuple[Path, ...], no_redact: bool) -> None:
    """Analyse every bundle in INPUT (bundles, folders holding bundles, globs) into DATASET.

    A bundle that cannot be analysed is a row with its error; the others go on. Folders
    between a folder given and a bundle label it customer, then ticket (or key=value)."""
    from analyzer.fleet.engines import EngineError
    from analyzer.fleet.inputs import parse_labels
    from analyzer.fleet.run import FleetError, run_fleet

    if address and engine != "ray":
        raise UsageError("--address is for --engine ray")
    try:
        given = parse_labels(labels)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    _library(extra)   # a bad --patterns folder is a usage error before any bundle is read
    try:
        run = run_fleet(inputs, dataset, given, engine=engine, jobs=jobs, address=address,
                        redact=not no_redact, patterns=tuple(str(p) for p in extra),
                        on_problem=lambda line: click.echo(line, err=True))
    except (FleetError, EngineError) as exc:
        raise UsageError(str(exc)) from exc
    click.echo(run.summary())


@fleet.command("report")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
@click.option("--since", default=None, metavar="DATE",
              help="Period start (YYYY-MM-DD); default: every bundle, new root causes of the last 30 days.")
@click.option("--by", "by", default=None, metavar="LABEL", help="Label to group by (default: customer).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Write here, not stdout.")
def fleet_report(dataset: Path, fmt: str, since: str | None, by: str | None, output: Path | None) -> None:
    """Top root causes over time and by label, new root causes, errors no pattern knows across
    bundles, bundles per engine and GPU model."""
    from analyzer.fleet.charts import render
    from analyzer.fleet.report import ReportError, build, parse_since

    try:
        text = render(build(dataset, parse_since(since), by), fmt)
    except ReportError as exc:
        raise UsageError(str(exc)) from exc
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from exc
