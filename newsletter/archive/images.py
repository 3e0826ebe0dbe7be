"""Stage 4 (delivery), the archive's images: the image addresses an issue uses → copies of
those images served from the site, beside the issue's page.

An issue's images live on other servers (issue files take https addresses, which is what
email clients need). The archive copies each into the page's folder under a name made from
its content (`img-<hash>.jpg`), so the page asks no other server for anything, and an old
issue keeps its photos when the original host drops them. Only JPEG, PNG, GIF, WebP and AVIF
are copied, recognised by their bytes, not by what the server says (an SVG can carry script);
a download is bounded in size and time, and an image already copied by an earlier run is
taken from the site, not downloaded again, so a rebuild needs no network and gives the same
bytes. An image the issue file gives a local `file` for is copied from that file, never
downloaded (the sample issue's hero lives beside it before it is on any server). An image that
cannot be copied stays at its address, with a warning.
"""

from __future__ import annotations

import hashlib
import ssl
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.archive.site import SiteFile, copied_images
from newsletter.config import FetchLimits
from newsletter.errors import Problem
from newsletter.models import Issue

if TYPE_CHECKING:
    import httpx

MAX_IMAGE_BYTES = 20 * 1024 * 1024

# The first bytes of each kind of image that may be copied, and its file extension.
_SIGNATURES = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def image_extension(data: bytes) -> str | None:
    """The file extension for an image's bytes (`jpg`, `png`, `gif`, `webp`, `avif`), or
    None when they are not one of those."""
    for magic, extension in _SIGNATURES:
        if data.startswith(magic):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in {b"avif", b"avis"}:
        return "avif"
    return None


def image_name(data: bytes) -> str | None:
    """The file name of an image's copy, from its content: `img-<16 hex digits>.<ext>`."""
    extension = image_extension(data)
    if extension is None:
        return None
    return f"img-{hashlib.sha256(data).hexdigest()[:16]}.{extension}"


def local_files(issue: Issue) -> dict[str, Path]:
    """The local copies the issue file names, by image address (the first file named for an
    address wins, as `images_of` keeps its first place)."""
    images = [issue.hero, *(item.image for section in issue.sections for item in section.items)]
    found: dict[str, Path] = {}
    for image in images:
        if image is not None and image.file is not None:
            found.setdefault(image.url, image.file)
    return found


def read_local_image(path: Path) -> tuple[bytes | None, str]:
    """An image file's bytes, or None and why not, in plain words."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        return None, f"its file {path} cannot be read ({exc.strerror})"
    if len(data) > MAX_IMAGE_BYTES:
        return None, f"its file {path} is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB"
    if image_extension(data) is None:
        return None, f"its file {path} is not a JPEG, PNG, GIF, WebP or AVIF image"
    return data, ""


def images_of(issue: Issue) -> tuple[tuple[str, str], ...]:
    """Every image the issue shows, as (where in the file, address), in reading order, each
    address once."""
    found: dict[str, str] = {}
    if issue.hero is not None:
        found.setdefault(issue.hero.url, "hero")
    for s, section in enumerate(issue.sections):
        for i, item in enumerate(section.items):
            if item.image is not None:
                found.setdefault(item.image.url, f"sections[{s}].items[{i}].image")
    return tuple((where, url) for url, where in found.items())


@dataclass(frozen=True, slots=True)
class Download:
    """What fetching one image gave: its bytes, or why there are none, in plain words."""

    url: str
    data: bytes | None
    problem: str = ""


def download_images(urls: Iterable[str], limits: FetchLimits) -> dict[str, Download]:
    """Fetch each image, one after another, within the settings' timeouts and deadline and
    `MAX_IMAGE_BYTES`; never raises for a server's failure."""
    import certifi

    from newsletter import __version__
    from newsletter._httpx import httpx

    results: dict[str, Download] = {}
    with httpx.Client(
        timeout=httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout),
        headers={
            "User-Agent": f"newsletter/{__version__} (web archive of a newsroom briefing)",
            "Accept": "image/avif, image/webp, image/png, image/jpeg, image/gif",
            # Images are compressed already; asking for none keeps a bomb out of the way.
            "Accept-Encoding": "identity",
        },
        follow_redirects=True,
        max_redirects=5,
        trust_env=False,
        verify=ssl.create_default_context(cafile=certifi.where()),
    ) as client:
        for url in dict.fromkeys(urls):
            try:
                results[url] = _download(client, url, limits.deadline)
            except httpx.HTTPError as exc:
                results[url] = Download(url, None, f"{type(exc).__name__}: {exc}"[:200])
    return results


def _download(client: httpx.Client, url: str, deadline: float) -> Download:
    started = time.monotonic()
    with client.stream("GET", url) as response:
        if response.status_code != 200:
            return Download(url, None, f"the server answered HTTP {response.status_code}")
        if response.headers.get("content-encoding", "identity").lower() != "identity":
            return Download(url, None, "the server sent it compressed, which images never need")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > MAX_IMAGE_BYTES:
                limit = MAX_IMAGE_BYTES // (1024 * 1024)
                return Download(url, None, f"it is larger than {limit} MB")
            if time.monotonic() - started > deadline:
                return Download(url, None, f"it took more than {deadline:g} s to download")
            chunks.append(chunk)
    data = b"".join(chunks)
    if image_extension(data) is None:
        return Download(url, None, "it is not a JPEG, PNG, GIF, WebP or AVIF image")
    return Download(url, data)


@dataclass(frozen=True, slots=True)
class SiteImages:
    """The site's copies of the issues' images: for each page (by slug), the name of the copy
    of each image address; the copies as site files; a warning for each image left where it
    is."""

    copies: dict[str, dict[str, str]] = field(default_factory=dict)
    files: tuple[SiteFile, ...] = ()
    problems: tuple[Problem, ...] = ()


def copy_site_images(issues: Sequence[Issue], folder: Path, limits: FetchLimits) -> SiteImages:
    """Copy the images of `issues` into the site in `folder`: a copy an earlier run made is
    taken from the site, an image with a local `file` is copied from it, and only the others
    not copied before are downloaded."""
    earlier = copied_images(folder)
    found: dict[str, bytes] = {}  # address → bytes, for images copied before or on disk
    unreadable: dict[str, str] = {}  # address → why its local file gave no image
    for issue in issues:
        for url, path in local_files(issue).items():
            if url in found or url in unreadable:
                continue
            data, problem = read_local_image(path)
            if data is None:
                unreadable[url] = problem
            else:
                found[url] = data
    for issue in issues:
        for _, url in images_of(issue):
            name = earlier.get(issue.slug, {}).get(url)
            if name is None or url in found:
                continue
            try:
                copy = (folder / issue.slug / name).read_bytes()
            except OSError:
                continue
            if image_name(copy) == name:  # the copy is still what was copied
                found[url] = copy
    wanted = [
        url
        for issue in issues
        for _, url in images_of(issue)
        if url not in found and url not in unreadable
    ]
    downloads = download_images(wanted, limits) if wanted else {}
    copies: dict[str, dict[str, str]] = {}
    files: list[SiteFile] = []
    problems: list[Problem] = []
    for issue in issues:
        for where, url in images_of(issue):
            data = found.get(url)
            if data is None:
                download = downloads.get(url) or Download(url, None, unreadable.get(url, ""))
                if download.data is None:
                    problems.append(
                        Problem(
                            f"{where}: the image was not copied into the site: {download.problem}",
                            path=issue.source,
                            hint=f"the page shows it from {url}; archive again once it loads",
                            severity="warning",
                        )
                    )
                    continue
                data = download.data
            name = image_name(data)
            if name is None:  # never: downloads and earlier copies are checked images
                continue
            copies.setdefault(issue.slug, {})[url] = name
            files.append(SiteFile(f"{issue.slug}/{name}", data))
    return SiteImages(copies, tuple(files), tuple(problems))
