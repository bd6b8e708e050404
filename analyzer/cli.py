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
def tables(input_path: str, output: Path, fmt: str) -> None:
    """Write the parsed tables of INPUT (dir, archive, file or -) as Parquet or CSV."""
    from analyzer.ingest import BundleError
    from analyzer.parse import write_tables

    try:
        written = write_tables(input_path, output, fmt)
    except BundleError as exc:
        raise UsageError(str(exc)) from exc
    for name, rows in written.items():
        click.echo(f"{name}\t{rows}")


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
