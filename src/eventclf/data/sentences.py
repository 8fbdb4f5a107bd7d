"""Sentence splitting for English news text that keeps exact character offsets.

A splitter maps a text to ``(start, end)`` spans. For every input string the spans are
non-empty, in order, do not overlap, start and end on non-whitespace, and together hold every
non-whitespace character of the text; a splitter never raises on a ``str``.

The default ``"rules"`` splitter makes one ``finditer`` pass over candidate boundaries (a run of
``. ! ? …`` with any closing quotes or brackets, which belong to the sentence, followed by
whitespace; or a line break) and decides each with a few cheap checks:

* A blank line always ends a sentence; the end of the text does too.
* Nothing ends before a lower-case letter, a dash or more punctuation
  (``'Why?' she asked``, ``. . .``).
* ``!``, ``?``, ellipses and quoted ends (``."`` ``?'``) end a sentence, except a quote followed
  by a name and a speech verb (``"Never!" Smith said.``).
* After a plain ``.`` (or ``.)``) the word before it decides. Titles and ranks (``Gen.``,
  ``Lt.``, ``Mr.``) and ``e.g.``/``vs.`` never end a sentence; ``No.``/``Vol.`` do not before a
  number. Other abbreviations (``Inc.``, ``Aug.``, ``St.``), dotted acronyms (``U.S.``,
  ``J.R.R.``) and initials (``F.``) end one only before an opening quote or a common sentence
  starter (``The``, ``It``, ``In`` ...), never before a number or a name (``the U.S. Army``);
  ``a.m.``/``p.m.`` end one before any capitalised word but a weekday, month, time zone or
  ``<City> time``. Any other word ends one.
* A single line break with no final punctuation ends a sentence (headlines, bylines, datelines,
  captions) unless the next line starts in lower case or the line ends with a comma, dash or
  function word ("of", "the"): that is a hard-wrapped paragraph.

``"syntok"`` is syntok's segmenter with breaks after titles re-joined; ``"lines"`` gives one
sentence per non-blank line.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable
from typing import Any

from eventclf.errors import ConfigError, MissingDependencyError

__all__ = ["SPLITTERS", "Span", "Splitter", "get_splitter", "split_sentences"]

Span = tuple[int, int]
Splitter = Callable[[str], list[Span]]

_CANDIDATE = re.compile(r"(?P<punct>[.!?…]+[\"'”’»)\]}]*)(?:\s+|\Z)|[\r\n\u2028\u2029]\s*")
_NON_SPACE = re.compile(r"\S")
_BREAK = r"(?:\r\n|\r(?!\n)|[\n\u2028\u2029])"
_BLANK_LINE = re.compile(rf"{_BREAK}[^\S\r\n\u2028\u2029]*{_BREAK}")
_NEXT_WORDS = re.compile(r"[\"'“‘«(\[{]*(\w*)\S*\s*(\w*)")
_ACRONYM = re.compile(r"(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}")
_LINE = re.compile(r"\S(?:[^\r\n]*\S)?")

_OPENERS = "\"'“‘«([{"
_CLOSERS = "\"'”’»)]}"
_OPEN_QUOTES = frozenset("\"'“‘«")
_QUOTE_CLOSERS = frozenset("\"'”’»")
_NO_START = frozenset("-–—,;:.!?…)]}%")
_WRAP_ENDS = frozenset(",;:-–—(/&")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Never end a sentence: titles and ranks before names, and a few Latin/short forms.
_TITLES = _words(
    """Mr Mrs Ms Messrs Mme Mlle Dr Drs Prof Rev Fr Msgr Hon Rt Gen Gens Lt Col Cols Maj Capt
    Cpt Cmdr Cdr Comdr Adm Brig Sgt Sgts Cpl Pvt Pfc Spc Ens Lieut Rep Reps Sen Sens Gov Govs
    Pres Amb Sec Atty Supt Insp Det"""
)
_NEVER_END = _TITLES | _words("e.g i.e cf viz vs approx")
# Do not end a sentence before a number.
_NUMBER_ABBREVS = _words("No Nos no nos Vol Vols vol Fig Figs fig Art p pp")
# End a sentence only before a sentence starter or an opening quote.
_ABBREVS = _words(
    """Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues Wed Thu Thur Thurs Fri Sat
    Sun Inc Corp Co Cos Ltd Plc Bros Assn Dept Div Univ Intl Mfg St Mt Ft Ave Blvd Rd Hwy Sq
    Ala Ariz Ark Calif Colo Conn Del Fla Ga Ill Ind Kan Kans Ky La Md Mass Mich Minn Miss Mo
    Mont Neb Nev Okla Ore Pa Tenn Tex Va Vt Wash Wis Wyo Jr Sr Esq etc al est ca ret"""
)
_TIMES = _words("a.m p.m A.M P.M")
_TIME_FOLLOWERS = _words(
    """Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    May June July August September October November December Jan Feb Mar Apr Jun Jul Aug Sep
    Sept Oct Nov Dec Mon Tue Wed Thu Fri Sat Sun EST EDT ET CST CDT CT MST MDT MT PST PDT PT
    GMT UTC BST CET CEST IST JST Eastern Central Mountain Pacific Greenwich"""
)
_STARTERS = _words(
    """A An The It Its He His She Her They Their We Our I You This That These Those There Here
    In On At But And Or So Yet If When While After Before As Since Although Though However
    Meanwhile Still Also For By With From Some Many Most Both Each Such Another Other What Why
    How Who Where Now Then Today Yesterday Last Earlier Later According During Despite Under
    Mr Mrs Ms"""
)
_SPEECH_VERBS = _words(
    """said says asked asks told tells added adds shouted wrote writes replied insisted warned
    tweeted recalled explained declared announced cried yelled continued"""
)
# A line ending in one of these runs on into the next line (a hard wrap).
_CONNECTIVES = _words(
    """a an the of to in on at by for from with and or but nor that which who whom whose as than
    is are was were be been has have had will would could should can may might must its his her
    their our said says into onto about after before over under between against during without
    within not this these those if when while because since"""
)

_NORMAL, _NEVER, _NUMBER, _ABBREV, _TIME = range(5)


def _token_before(text: str, start: int, pos: int) -> str:
    """The word that ends at ``pos`` (within the sentence from ``start``), quotes stripped."""
    if pos <= start or text[pos - 1].isspace():
        return ""
    tail = text[max(start, pos - 16) : pos]
    return tail.rsplit(None, 1)[-1].lstrip(_OPENERS).rstrip(_CLOSERS)


def _kind(token: str) -> int:
    if token in _NEVER_END:
        return _NEVER
    if token in _NUMBER_ABBREVS:
        return _NUMBER
    if token in _TIMES:
        return _TIME
    if token in _ABBREVS or (len(token) == 1 and token.isupper()):
        return _ABBREV
    if "." in token and _ACRONYM.fullmatch(token):
        return _ABBREV
    return _NORMAL


def _ends_after_punct(text: str, start: int, begin: int, punct_end: int, end: int) -> bool:
    """Whether the punctuation in ``text[begin:punct_end]`` (whitespace up to ``end``) ends one."""
    c = text[end]
    if end - punct_end > 1 and _BLANK_LINE.search(text, punct_end, end):
        return True
    if c.islower() or c in _NO_START:
        return False
    if text[begin] != "." or text[begin + 1 : punct_end].strip(")]"):  # not "." or ".)"
        if text[punct_end - 1] in _QUOTE_CLOSERS and c.isupper() and text[begin] != ".":
            # '"Never!" Smith said.' is one sentence; after '."' a new one starts.
            m = _NEXT_WORDS.match(text, end)
            return m is None or m[2] not in _SPEECH_VERBS
        return True
    kind = _kind(_token_before(text, start, begin))
    if kind == _NORMAL:
        return True
    if kind == _NEVER:
        return False
    if c.isdigit():
        return False
    if kind == _NUMBER:
        return True
    if c in _OPEN_QUOTES:
        return True
    if not c.isupper():
        return False
    m = _NEXT_WORDS.match(text, end)
    if m is None:
        return False
    word = m[1]
    if kind == _TIME:
        return word not in _TIME_FOLLOWERS and m[2] != "time"
    if len(word) == 1 and text.startswith(".", m.end(1)):  # another initial: "A. A. Milne"
        return False
    return word in _STARTERS


def _ends_at_line_break(text: str, start: int, line_end: int, begin: int, end: int) -> bool:
    """Whether the line break in ``text[begin:end]`` ends the line ``text[start:line_end]``."""
    if end - begin > 1 and _BLANK_LINE.search(text, begin, end):
        return True
    if text[end].islower() or text[line_end - 1] in _WRAP_ENDS:
        return False
    return _token_before(text, start, line_end) not in _CONNECTIVES


def split_sentences(text: str) -> list[Span]:
    """Split news text into sentence spans ``(start, end)`` (the ``"rules"`` splitter)."""
    first = _NON_SPACE.search(text)
    if first is None:
        return []
    start = first.start()
    n = len(text)
    spans: list[Span] = []
    for m in _CANDIDATE.finditer(text, start):
        begin, end = m.span()
        punct_end = m.end("punct")
        if punct_end >= 0:
            if end < n and not _ends_after_punct(text, start, begin, punct_end, end):
                continue
            spans.append((start, punct_end))
        else:
            line_end = begin
            while text[line_end - 1].isspace():
                line_end -= 1
            if end < n and not _ends_at_line_break(text, start, line_end, begin, end):
                continue
            spans.append((start, line_end))
        start = end
    if start < n:
        spans.append((start, len(text.rstrip())))
    return spans


def split_lines(text: str) -> list[Span]:
    """One sentence per non-blank line."""
    return [m.span() for m in _LINE.finditer(text)]


def _from_starts(text: str, starts: Iterable[int]) -> list[Span]:
    """Spans between the given start offsets, whitespace trimmed, empty ones dropped."""
    n = len(text)
    edges = [0, *sorted({s for s in starts if 0 < s < n}), n]
    spans: list[Span] = []
    for a, b in itertools.pairwise(edges):
        piece = text[a:b]
        left, right = a + len(piece) - len(piece.lstrip()), a + len(piece.rstrip())
        if right > left:
            spans.append((left, right))
    return spans


@functools.cache
def _syntok() -> Any:
    try:
        from syntok import segmenter
    except ImportError as exc:
        raise MissingDependencyError(
            "the 'syntok' sentence splitter needs syntok; install it with "
            "`pip install 'eventclf[bench]'` or `pip install syntok`, or use the 'rules' splitter"
        ) from exc
    return segmenter


def split_syntok(text: str) -> list[Span]:
    """syntok's segmenter, with breaks after titles and ranks (``Gen.``, ``Lt.``) re-joined."""
    paragraphs = _syntok().analyze(text)
    spans = _from_starts(text, (s[0].offset for p in paragraphs for s in p if len(s)))
    joined: list[Span] = []
    for span in spans:
        if joined:
            start, end = joined[-1]
            if text[end - 1] == "." and _token_before(text, start, end - 1) in _TITLES:
                joined[-1] = (start, span[1])
                continue
        joined.append(span)
    return joined


SPLITTERS: dict[str, Splitter] = {
    "rules": split_sentences,
    "syntok": split_syntok,
    "lines": split_lines,
}


def get_splitter(name: str) -> Splitter:
    """The splitter registered as ``name``; optional dependencies are checked here, early."""
    try:
        splitter = SPLITTERS[name]
    except KeyError:
        known = ", ".join(repr(k) for k in sorted(SPLITTERS))
        raise ConfigError(f"unknown sentence splitter {name!r}; known splitters: {known}") from None
    if splitter is split_syntok:
        _syntok()
    return splitter
