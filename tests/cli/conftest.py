"""CLI tests reuse the miniature knowledge base of the kb tests."""

from tests.kb.conftest import mini_data, mini_kb_dir  # noqa: F401  (pytest fixtures)
