#!/usr/bin/env python3
"""Checks the relative links in README.md and docs/*.md.

Every link to a file must name a file or folder that exists; every `file.md#anchor` or `#anchor`
must name a heading of that file, under GitHub's rules for heading anchors (lowercase, spaces to
hyphens, punctuation dropped, `-1`, `-2` ... for repeated headings). Links inside code blocks and
code spans are not links. Web links (http, https, mailto) are not checked.

Usage, from anywhere:  python3 tools/check_links.py [FILE.md ...]
Exit code 0 when every link resolves, 1 (with one line per broken link) otherwise.
Standard library only.
"""
import os
import re
import sys
from urllib.parse import unquote

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target "title") and ![alt](target); the target may be wrapped in <...>
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(\S+)")
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)


def prose_lines(text):
    """(line number, line) for every line outside fenced code blocks."""
    fence = None
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)
                continue
            yield number, line
        elif match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
            fence = None


def heading_text(raw):
    """The text GitHub renders for a heading's Markdown source."""
    text = CODE_SPAN.sub(lambda m: m.group(2), raw)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)   # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)                       # inline HTML tags
    text = re.sub(r"\*\*|__|\*", "", text)                  # emphasis markers
    return text


def slug(text):
    text = heading_text(text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)   # \w keeps letters, digits and underscores, as GitHub does
    return text.replace(" ", "-")


def anchors(path):
    """Every anchor a file's headings (and explicit HTML anchors) give."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    found, seen = set(), {}
    previous = None
    for _, line in prose_lines(text):
        for name in HTML_ANCHOR.findall(line):
            found.add(name)
        match = HEADING.match(line)
        raw = None
        if match:
            raw = match.group(2)
        elif previous and previous.strip() and SETEXT.match(line) and not HEADING.match(previous):
            raw = previous.strip()
        if raw is not None:
            base = slug(raw)
            count = seen.get(base, 0)
            found.add(base if count == 0 else f"{base}-{count}")
            seen[base] = count + 1
        previous = line
    return found


def links(path):
    """(line number, target) for every link in a Markdown file's prose."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for number, line in prose_lines(text):
        stripped = CODE_SPAN.sub("", line)
        for match in INLINE_LINK.finditer(stripped):
            yield number, match.group(1).strip("<>")
        match = REFERENCE_DEF.match(stripped)
        if match:
            yield number, match.group(1).strip("<>")


def check(path, cache):
    broken = []
    for number, target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):   # http:, https:, mailto: ...
            continue
        file_part, _, anchor = target.partition("#")
        file_part = unquote(file_part)
        if file_part.startswith("/"):
            resolved = os.path.join(ROOT, file_part.lstrip("/"))
        elif file_part:
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part))
        else:
            resolved = path
        where = f"{os.path.relpath(path, ROOT)}:{number}: {target}"
        if not os.path.exists(resolved):
            broken.append(f"{where}: no such file ({os.path.relpath(resolved, ROOT)})")
            continue
        if anchor:
            if not resolved.endswith(".md") or os.path.isdir(resolved):
                continue
            if resolved not in cache:
                cache[resolved] = anchors(resolved)
            if unquote(anchor) not in cache[resolved]:
                broken.append(f"{where}: no heading with anchor #{anchor} in {os.path.relpath(resolved, ROOT)}")
    return broken


def main(argv):
    if argv:
        files = [os.path.abspath(a) for a in argv]
    else:
        files = [os.path.join(ROOT, "README.md")]
        docs = os.path.join(ROOT, "docs")
        if os.path.isdir(docs):
            files += sorted(os.path.join(docs, n) for n in os.listdir(docs) if n.endswith(".md"))
    cache, broken, count = {}, [], 0
    for path in files:
        if not os.path.isfile(path):
            broken.append(f"{path}: no such file")
            continue
        count += sum(1 for _ in links(path))
        broken += check(path, cache)
    for line in broken:
        print(line)
    if broken:
        print(f"{len(broken)} broken link(s) in {len(files)} file(s)", file=sys.stderr)
        return 1
    print(f"{count} links in {len(files)} files: all resolve")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
