"""HTML front end: self-contained reports rendered from result objects with Jinja2."""
