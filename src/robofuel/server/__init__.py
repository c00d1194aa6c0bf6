"""The factory console: ``robofuel serve``, an HTTP API (and, later, pages) over a lake and its catalog.

- :mod:`~robofuel.server.auth`: roles, users, password hashing, API tokens and login sessions (catalog tables);
  no web framework, so ``robofuel users add`` and ``tokens create`` work without the ``server`` extra.
- :mod:`~robofuel.server.reviews`: a person's accept/reject decision on an episode, kept as an audit trail, and the
  verdict it sets.
- :mod:`~robofuel.server.app`: the FastAPI application factory (the ``server`` extra: fastapi, uvicorn), with
  :mod:`~robofuel.server.security` (who is asking), :mod:`~robofuel.server.api` (``/api``) and
  :mod:`~robofuel.server.pages` (``/login``).

See docs/console.md.
"""
