"""Pre-send checks, the spam score: the bytes of a build's `email.eml` → a `SpamScore`, by
running Debian's SpamAssassin on them offline, as a receiving server would score them.

Local tests only (`-L`: no DNS blocklists, no Razor or Pyzor, nothing sent anywhere), the
user's own preferences ignored (an empty file of ours instead), so a score is the same on
every machine with the same SpamAssassin. Each rule that fired comes back with its points,
SpamAssassin's description and, for the rules an editor or a theme can cause, what to change.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path

# Where SpamAssassin itself says a message is spam, and where we start to worry: receiving
# servers that add their own rules (or lower the bar) have room to spare below this.
SPAM_AT = 5.0
WORRY_AT = 2.0
TIMEOUT = 120.0  # seconds; a first run compiles the rules


class SpamAssassinMissing(Exception):
    """SpamAssassin is not installed (or not on PATH)."""


class SpamAssassinFailed(Exception):
    """SpamAssassin ran but gave no score."""


@dataclass(frozen=True, slots=True)
class SpamRule:
    """One rule that fired: its name, points, SpamAssassin's words, and ours (or "")."""

    name: str
    points: float
    description: str
    advice: str
    matched: str = ""  # the text a body or header rule matched, when SpamAssassin says


@dataclass(frozen=True, slots=True)
class SpamScore:
    """A message's score, the rules that made it, and the SpamAssassin that scored it."""

    score: float
    rules: tuple[SpamRule, ...]
    version: str

    @property
    def verdict(self) -> str:
        """ "spam", "borderline" or "ok", by `SPAM_AT` and `WORRY_AT`."""
        if self.score >= SPAM_AT:
            return "spam"
        return "borderline" if self.score >= WORRY_AT else "ok"


# What to change for the rules an issue or a theme can set off, in the editor's words. A
# rule not named here still shows, with SpamAssassin's own description.
ADVICE = {
    "SUBJ_ALL_CAPS": "write the subject in sentence or title case, not capitals",
    "UPPERCASE_50_75": "less text in capitals: write headlines and blurbs in normal case",
    "UPPERCASE_75_100": "less text in capitals: write headlines and blurbs in normal case",
    "ACT_NOW_CAPS": "drop 'ACT NOW' in capitals",
    "SUBJ_EXCLAIM": "no exclamation mark in the subject",
    "PLING_QUERY": "no '?!' in the subject",
    "HTML_FONT_LOW_CONTRAST": "no text in (nearly) the background's colour: a theme's hidden "
    "text or a colour too faint",
    "HTML_IMAGE_ONLY_04": "more words: an email that is mostly images looks like spam",
    "HTML_IMAGE_ONLY_08": "more words: an email that is mostly images looks like spam",
    "HTML_IMAGE_ONLY_12": "more words: an email that is mostly images looks like spam",
    "HTML_IMAGE_ONLY_16": "more words: an email that is mostly images looks like spam",
    "HTML_IMAGE_ONLY_20": "more words: an email that is mostly images looks like spam",
    "HTML_IMAGE_ONLY_24": "more words: an email that is mostly images looks like spam",
    "HTML_IMAGE_ONLY_28": "more words: an email that is mostly images looks like spam",
    "HTML_IMAGE_ONLY_32": "more words: an email that is mostly images looks like spam",
    "HTML_IMAGE_RATIO_02": "fewer or smaller images for the words, or more words",
    "HTML_IMAGE_RATIO_04": "fewer or smaller images for the words, or more words",
    "HTML_IMAGE_RATIO_06": "fewer or smaller images for the words, or more words",
    "HTML_IMAGE_RATIO_08": "fewer or smaller images for the words, or more words",
    "HTML_SHORT_LINK_IMG_1": "give a linked image words around it",
    "HTML_SHORT_LINK_IMG_2": "give a linked image words around it",
    "HTML_SHORT_LINK_IMG_3": "give a linked image words around it",
    "MIME_HTML_ONLY": "send the plain-text version too (build writes both)",
    "MPART_ALT_DIFF": "the HTML and the plain text should say the same: check the theme's "
    "email.txt.jinja",
    "MPART_ALT_DIFF_COUNT": "the HTML and the plain text should say the same: check the "
    "theme's email.txt.jinja",
    "MISSING_SUBJECT": "give the issue a title: it is the subject",
    "EMPTY_MESSAGE": "the email has no text",
    "FREEMAIL_FROM": "send from the newsroom's own domain, not a free mail address",
    "FREEMAIL_REPLYTO": "reply_to on the newsroom's own domain, not a free mail address",
    "FREEMAIL_FORGED_REPLYTO": "reply_to on the newsroom's own domain",
    "HTTPS_HTTP_MISMATCH": "a link's text shows one address and goes to another",
    "NORMAL_HTTP_TO_IP": "link to a name, not to an IP address",
    "NUMERIC_HTTP_ADDR": "link to a name, not to an IP address",
    "URI_HEX": "a link with a hex-encoded host name: write the name",
    "T_REMOTE_IMAGE": "images are fetched from the web, as in every newsletter (informational)",
    "HTML_MESSAGE": "informational: the email has an HTML part",
    "NO_RECEIVED": "informational: the message has not travelled yet; the mail service "
    "adds Received headers",
    "NO_RELAYS": "informational: the message has not travelled yet",
    "MISSING_MID": "give the message a Message-ID (build writes one)",
    "MISSING_DATE": "give the message a Date (build writes one)",
}


def advice(rule: SpamRule) -> str:
    """What to change for a rule: ours when we have words for it, else a general word for a
    phrase that spam uses (SpamAssassin's BODY rules), else nothing."""
    if rule.advice:
        return rule.advice
    if rule.points > 0 and rule.description.startswith(("BODY:", "Subject")):
        return "a phrase spam uses: say it in other words"
    return ""


def spamassassin() -> str:
    """The path of the `spamassassin` program, or `SpamAssassinMissing`."""
    found = shutil.which("spamassassin")
    if found is None:
        raise SpamAssassinMissing(
            "SpamAssassin is not installed: `sudo apt-get install spamassassin` "
            "(Debian, Ubuntu) installs it; the spam score needs nothing else"
        )
    return found


def score_message(eml: bytes, *, timeout: float = TIMEOUT) -> SpamScore:
    """Score a whole message (its bytes, headers first) with SpamAssassin, offline."""
    program = spamassassin()
    with tempfile.TemporaryDirectory(prefix="newsletter-spam-") as folder:
        prefs = Path(folder) / "user_prefs"
        prefs.write_text("# none: the same score on every machine\n", encoding="ascii")
        try:
            done = subprocess.run(
                [
                    program,
                    "--local",  # no network tests
                    "--test-mode",
                    "--debug=rules",  # says what text each rule matched
                    f"--prefspath={prefs}",
                    "--cf=clear_report_template",
                    "--cf=report _SUMMARY_",
                    "--cf=add_header all Tests _TESTSSCORES(,)_",
                    "--cf=add_header all Score _SCORE_",
                ],
                input=eml,
                capture_output=True,
                timeout=timeout,
                # HOME for its own files, never the editor's ~/.spamassassin.
                env={**os.environ, "HOME": folder, "LC_ALL": "C"},
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SpamAssassinFailed(f"SpamAssassin gave no answer within {timeout:g} s") from None
        except OSError as exc:
            raise SpamAssassinFailed(f"SpamAssassin could not be started ({exc})") from None
    return _read(done.stdout, done.stderr)


# "dbg: rules: ran body rule DEAR_FRIEND ======> got hit: "Dear Friend"" (rules named
# __LIKE_THIS are parts of other rules, never scored themselves).
_HIT = re.compile(r'rule ([A-Z0-9][A-Z0-9_]*) ======> got hit: "(.+)"$', re.MULTILINE)


def _read(output: bytes, errors: bytes) -> SpamScore:
    """The score, rules and version from what SpamAssassin printed."""
    headers = BytesHeaderParser().parsebytes(output)
    score, tests = headers.get("X-Spam-Score"), headers.get("X-Spam-Tests")
    if score is None or tests is None:
        said = errors.decode("utf-8", "replace").strip().splitlines()
        raise SpamAssassinFailed("SpamAssassin gave no score" + (f": {said[-1]}" if said else ""))
    version = re.search(r"SpamAssassin (\S+)", headers.get("X-Spam-Checker-Version", ""))
    text = output.decode("utf-8", "replace")
    matched: dict[str, str] = {}
    for hit in _HIT.finditer(errors.decode("utf-8", "replace")):
        matched.setdefault(hit[1], hit[2])
    rules = []
    for entry in re.sub(r"\s+", "", str(tests)).split(","):
        name, _, points = entry.partition("=")
        if not name or name == "none":
            continue
        rules.append(
            SpamRule(
                name,
                float(points or 0),
                _description(text, name),
                ADVICE.get(name, ""),
                matched.get(name, ""),
            )
        )
    rules.sort(key=lambda rule: (-rule.points, rule.name))
    # SpamAssassin writes a score just under zero as -0.0.
    return SpamScore(float(str(score)) + 0.0, tuple(rules), version[1] if version else "")


def _description(text: str, name: str) -> str:
    """A rule's description in the report's table, its wrapped lines joined."""
    found = re.search(
        rf"^ *-?\d+\.\d+ {re.escape(name)} +(.+(?:\n {{20,}}\S.*)*)", text, re.MULTILINE
    )
    return " ".join(found[1].split()) if found else ""
