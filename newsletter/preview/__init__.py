"""Entry point, the live preview (`newsletter preview`): a local web server that shows an issue
as `build` would write it, in every view an inbox shows, beside the editor's panel, and
rebuilds it on every save. `workspace` holds what is shown and rebuilds it, `panel` computes
the panel's figures and candidate stories, `app` is the Starlette application, `server` runs
uvicorn and watchfiles; `shell.html`, `shell.css` and `shell.js` are the page itself.
"""
