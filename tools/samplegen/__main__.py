"""Command line: ``python3 -m tools.samplegen [--out DIR] [--only NAME ...]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import SCENARIOS, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tools.samplegen", description=__doc__)
    parser.add_argument("--out", default="sample_bundles", type=Path, help="output root (default: sample_bundles)")
    parser.add_argument("--only", action="append", metavar="NAME", help="generate only this scenario (repeatable)")
    parser.add_argument("--list", action="store_true", help="list scenario names and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(SCENARIOS))
        return 0
    names = args.only or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}; see --list")
    for name in names:
        out = generate(name, args.out)
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(f"{out}  {size / 1e6:.2f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
