"""Stage 4, delivery: a `RenderedIssue` → files an editor or a mail service takes.

Exporters run after rendering; they are where mail-service placeholders become real links.
"""
