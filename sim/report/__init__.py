"""The report of a run: the typed document (document), its pages and folder (render, page),
its pictures (plots, maps), and reports side by side (compare)."""
