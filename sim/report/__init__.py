"""The report folder: the document, its Markdown and HTML, plots, the map, and `compare`."""
