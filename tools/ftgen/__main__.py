"""``python3 -m tools.ftgen --out DIR [--seed N]``: write a fault-tolerance results set."""

from __future__ import annotations

import argparse
from pathlib import Path

from tools.ftgen import DEPLOYMENTS, generate


def main() -> None:
    """Parse options and write the results set."""
    ap = argparse.ArgumentParser(prog="python3 -m tools.ftgen", description=__doc__)
    ap.add_argument("--out", type=Path, required=True, help="results root to write into")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--clients", type=int, default=10, help="clients per scenario (upstream: 10)")
    ap.add_argument("--requests", type=int, default=100, help="requests per client (upstream legacy: 100)")
    ap.add_argument("--fault-after", type=float, default=30.0, help="seconds of load before the fault (upstream: 30)")
    ap.add_argument("--deployment", action="append", choices=DEPLOYMENTS,
                    help="only this deployment (repeatable; default: all four)")
    ap.add_argument("--scenario", action="append", default=[], metavar="DEPLOYMENT-FAILURE",
                    help="only this scenario, e.g. agg-tp-1-dp-1-decode_worker (repeatable)")
    args = ap.parse_args()
    plans = generate(args.out, seed=args.seed, clients=args.clients, requests_per_client=args.requests,
                     deployments=tuple(args.deployment or DEPLOYMENTS), fault_after=args.fault_after, only=tuple(args.scenario))
    print(f"wrote {len(plans)} scenario folders under {args.out}")


if __name__ == "__main__":
    main()
