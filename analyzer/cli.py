"""The `bundle-analyzer` command: option parsing only; every command calls one library function.

Library errors become one-line messages (exit 2) that say what to do next.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from analyzer import __version__


class UsageError(click.ClickException):
    """A one-line message for bad usage or unreadable input; exits 2."""

    exit_code = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
def tables(input_path: str, output: Path, fmt: str, no_redact: bool) -> None:
    """Write the parsed tables of INPUT (dir, archive, file or -) as Parquet or CSV."""
    from analyzer.ingest import BundleError
    from analyzer.pipeline import write_tables

    try:
        written = write_tables(input_path, output, fmt, redact=not no_redact)
    except BundleError as exc:
        raise UsageError(str(exc)) from exc
    for name, rows in written.items():
        click.echo(f"{name}\t{rows}")


@main.command()
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path), required=True,
              help="New directory, or a .tar.gz/.tgz/.tar file, for the redacted copy.")
@click.option("--pseudonymize", default="", metavar="ips,hosts",
              help="Also replace IP addresses and/or host names by pseudonyms.")
def redact(input_path: str, output: Path, pseudonymize: str) -> None:
    """Write a redacted copy of INPUT to OUTPUT, plus OUTPUT.mapping.private.json (keep it private)."""
    from analyzer.redact import RedactError, redact_bundle

    try:
        report = redact_bundle(input_path, output, pseudonymize)
    except RedactError as exc:
        raise UsageError(str(exc)) from exc
    click.echo(report.format_text())


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
              help="Where to write the kubeconfig for kubectl (default: a file in the temp folder).")
@click.option("-v", "--verbose", is_flag=True, help="Log every request on stderr.")
def serve(input_path: str, port: int, kubeconfig: Path | None, verbose: bool) -> None:
    """Serve INPUT as a read-only Kubernetes API on 127.0.0.1 for kubectl get/describe/logs."""
    from analyzer.ingest import BundleError
    from analyzer.serve import serve as run

    try:
        run(input_path, port, kubeconfig, echo=lambda line: click.echo(line), verbose=verbose)
    except BundleError as exc:
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
def ft_summary(dirs: tuple[Path, ...], fmt: str, sla: float | None, output: Path | None) -> None:
    """The fault-tolerance test summary of DIR (a results root or a test_fault_scenario[...] folder,
    as a directory or an archive such as .tgz or .zip)."""
    from analyzer.ft import FtInputError, render, summarize

    try:
        text = render(summarize(list(dirs), sla=sla), fmt)
    except FtInputError as exc:
        raise UsageError(str(exc)) from exc
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


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
def analyze(inputs: tuple[str, ...], fmt: str, output: Path | None, extra: tuple[Path, ...],
            fail_on: str | None, no_redact: bool, max_chars: int | None) -> None:
    """Diagnose INPUT (bundle dir, archive, pasted file, or - for stdin) and write a report."""
    from analyzer.ingest import BundleError
    from analyzer.pipeline import analyze_path, no_readable_file, write_report
    from analyzer.taxonomy import at_least

    if fmt == "parquet" and output is None:
        raise UsageError("--format parquet writes a directory of tables: give it with -o DIR")
    library = _library(extra)
    worst_hit = False
    for source in inputs:
        try:
            analysis = analyze_path(source, library, redact=not no_redact)
        except BundleError as exc:
            raise UsageError(f"{exc}. Give a bundle directory, a .tar/.tar.gz/.tar.zst/.zip archive, "
                             "a text file, or - for stdin.") from exc
        unreadable = no_readable_file(analysis.result)
        if unreadable:
            analysis.close()
            raise UsageError(f"{source}: {unreadable}. Give a bundle with logs, describe output, "
                             "events or objects.")
        target = output
        if output is not None and len(inputs) > 1:
            target = output.with_name(f"{output.stem}-{Path(source).name}{output.suffix}")
        with analysis:
            text = write_report(analysis, fmt, target, max_chars=max_chars)
        if text is not None:
            click.echo(text, nl=not text.endswith("\n"))
        if fail_on and any(at_least(rc["severity"], fail_on) for rc in analysis.result["root_causes"]):
            worst_hit = True
    if worst_hit:
        sys.exit(1)
