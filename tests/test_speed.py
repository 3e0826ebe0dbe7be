"""What keeps a `newsletter build` process short: it loads only what it uses (no HTTP stack
through premailer, no asyncio through the preview command), `requests` still works for
whoever does use it, and cssutils compiles no validation expressions whose verdicts nobody
reads. Each is checked in a fresh Python process, as the command line runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, cwd: Path) -> str:
    """Run `code` in a fresh interpreter with this checkout first on the path; its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


def test_a_build_loads_neither_the_http_stack_nor_asyncio(newsroom: Path) -> None:
    code = """
import json, sys
from newsletter.cli import main
sys.argv = ["newsletter", "build", "issues/2026-11-27.yaml"]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
loaded = [m for m in ("urllib3", "charset_normalizer", "idna", "asyncio") if m in sys.modules]
print(json.dumps(loaded))
"""
    assert json.loads(_python(code, newsroom)) == []
    assert (newsroom / "build" / "2026-11-27" / "email.html").is_file()


def test_requests_stays_usable_and_loads_for_real_on_first_use(tmp_path: Path) -> None:
    code = """
import json, sys
import newsletter.render.html
import premailer.premailer
before = "urllib3" in sys.modules
session = premailer.premailer.requests.Session  # premailer's own name for it, first use
import requests
print(json.dumps([before, "urllib3" in sys.modules, requests.Session is session,
                  type(sys.modules["requests"]).__name__, hasattr(requests, "adapters")]))
"""
    assert json.loads(_python(code, tmp_path)) == [False, True, True, "module", True]


def test_a_module_imported_before_the_renderer_is_left_as_it_is(tmp_path: Path) -> None:
    code = """
import json, sys
import requests
real = sys.modules["requests"]
import newsletter.render.html
import premailer.premailer
print(json.dumps([sys.modules["requests"] is real, premailer.premailer.requests is real]))
"""
    assert json.loads(_python(code, tmp_path)) == [True, True]


def test_inlining_compiles_no_css_validation_expressions(tmp_path: Path) -> None:
    code = """
import json, re
from newsletter.render.html import inline_css
compiled = []
original = re.compile
def counting(pattern, flags=0):
    compiled.append(pattern)
    return original(pattern, flags)
re.compile = counting
html = ('<html><head><style>p { color: #123456; margin: 0 auto }</style></head>'
        '<body><p style="font-family: Georgia, serif; line-height: 1.5">x</p></body></html>')
out = inline_css(html)
print(json.dumps([len(compiled), "line-height:1.5" in out, "color:#123456" in out]))
"""
    assert json.loads(_python(code, tmp_path)) == [0, True, True]
