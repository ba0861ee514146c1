"""Internals of the optimiser (`sim.optimise` is the public entry point): the corridor as LP
data (`model`), a bulk LP container handed to PuLP (`lp`), the LP families (`formulation`), the
networkx minimum cut (`cut`), building a plan into a scenario (`plan`) and the result records
(`result`)."""
