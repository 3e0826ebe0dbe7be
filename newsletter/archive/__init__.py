"""Stage 4 (delivery), the web archive: the web pages of past issues (`WebPage`s, rendered by
`render.web`) → the files of a static site, and those files on disk. This module is the
package's face: `feed` makes each language edition's Atom feed, `images` copies the issues'
images into the site, `site` writes the files, only those whose bytes changed, and removes
what an earlier run wrote that is no longer part of the site.
"""

from __future__ import annotations

from newsletter.archive.feed import FEED_PREFIX, atom_feed, feed_name
from newsletter.archive.images import (
    Download,
    SiteImages,
    copy_site_images,
    download_images,
    image_name,
    images_of,
)
from newsletter.archive.site import MANIFEST, SiteFile, SiteWrite, copied_images, write_site

__all__ = [
    "FEED_PREFIX",
    "MANIFEST",
    "Download",
    "SiteFile",
    "SiteImages",
    "SiteWrite",
    "atom_feed",
    "copied_images",
    "copy_site_images",
    "download_images",
    "feed_name",
    "image_name",
    "images_of",
    "write_site",
]
