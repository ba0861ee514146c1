"""Run every bundled scenario and save, or diff, the figures of their reports.

    python scripts/figures.py save figures.json      # run all seven, keep every result figure
    python scripts/figures.py diff before.json after.json

A refactoring that must not change results is checked by saving before, saving after and
diffing: the figures (targets, flows, links, nodes, fleets, plan, N-1, shadow prices) must be
bit-identical. Timings and file paths are not figures and are left out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from sim.run import RESULT_SECTIONS, differences

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def save(out: Path, replications: int | None) -> None:
    from sim import evaluate

    figures: dict[str, object] = {}
    for path in sorted(SCENARIOS.glob("*.yaml")):
        ev = evaluate(path, replications=replications)
        figures[path.stem] = json.loads(json.dumps({k: ev.data.get(k) for k in RESULT_SECTIONS}, default=float))
        print(f"{path.stem}: done", file=sys.stderr)
    out.write_text(json.dumps(figures, indent=1, sort_keys=True))


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "save":
        save(Path(argv[1]), int(argv[2]) if len(argv) > 2 else None)
        return 0
    if len(argv) == 3 and argv[0] == "diff":
        found = differences(*(json.loads(Path(p).read_text()) for p in argv[1:]))
        print("\n".join(found) if found else "every figure is identical")
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
