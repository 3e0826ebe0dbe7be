"""Stage 4, delivery: a `RenderedIssue` → files an editor or a mail service takes, and copies
sent through a mail server.

Exporters run after rendering; they are where mail-service placeholders become real links.
`build` makes the build folder, `eml` the message, `targets` reads where a send goes and
`smtp` sends it.
"""
