"""The optimiser: a multi-carrier network-flow LP over a scenario (see `optimise.py`).

`optimise` bounds each target and finds the min-cost expansion plan; `apply_plan` builds that
plan into a scenario for the simulator; `write_plan` writes `plan.json` and `plan.md`.
Inside: the corridor as LP data (`model`), a bulk LP container handed to PuLP (`lp`), the LP
families (`formulation`), N-1 planning by constraint generation (`security`), the networkx
minimum cut (`cut`), building a plan into a scenario (`plan`) and the result records (`result`).
"""

from sim.optimiser.optimise import apply_plan, optimise, write_plan
from sim.optimiser.result import OptimiseResult

__all__ = ["OptimiseResult", "apply_plan", "optimise", "write_plan"]
