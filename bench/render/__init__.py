"""Rendering: analysis results as text, markdown, JSON (compare_text) and one self-contained HTML report (html)."""
