"""The curated knowledge base of the review: load, validate, query and export."""

from __future__ import annotations

from senotwin.kb.loader import KnowledgeBase, default_kb_dir, load

__all__ = ["KnowledgeBase", "default_kb_dir", "load"]
