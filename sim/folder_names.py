"""Turn a scenario's or experiment's `name` into a safe folder name.

A name comes from a file anyone may have shared. Used unchecked as a folder, `name: ../../x` or an
absolute path would write results anywhere the user can write. A folder name here has no path
separators, no leading dot (so neither `..` nor a hidden folder), no control characters and at most
MAX_BYTES bytes of UTF-8; everything else, accents and all, is kept so that it stays readable.
"""

from __future__ import annotations

import re
import unicodedata

MAX_BYTES = 80  # well under every filesystem's 255, leaving room for suffixes such as ".partial-..."
_UNSAFE = re.compile(r'[\\/:*?"<>|]+')


def folder_name(name: str, default: str = "results") -> str:
    """A folder name made from name: separators and control characters become '_', and the result
    is never empty, '.', '..', hidden or longer than MAX_BYTES bytes."""
    text = "".join(c if unicodedata.category(c)[0] != "C" else "_" for c in str(name))
    text = _UNSAFE.sub("_", text).strip().lstrip(".").strip()
    encoded = text.encode("utf-8", "ignore")[:MAX_BYTES]
    text = encoded.decode("utf-8", "ignore").rstrip(" .")
    return text or default
