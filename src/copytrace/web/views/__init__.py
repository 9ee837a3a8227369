"""The server's views, one module per page kind. Each builds one result object and
renders it with :func:`copytrace.web.render.respond`: HTML for a browser, JSON for a
program (the live archive's API), at the same URL."""

from copytrace.web.views import articles, health, pairs, stories

MODULES = (health, stories, articles, pairs)
