"""Commands: one function per command of the command line, taking `Settings` and plain
arguments and returning a frozen result; no printing, no click.

`cli.py` parses options, calls one of these and prints what it returns; the preview, the
tests and scripts call them directly. Bad input ends in `ProblemsError`, as everywhere.
Import the module of the command you need (`from newsletter.commands.check import
check_issue`): each loads only what its command uses, so `check` never loads the HTTP stack
and `fetch` never loads the renderer.
"""
