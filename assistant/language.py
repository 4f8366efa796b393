"""Is a question in English? Script and function-word shares, no language model needed.

The corpus, the prompts and the citation check are English: a question in another language
retrieves by a few shared Latin tokens (drug names, numbers) and its answer is judged on them.
Such a question gets a clear "English only" reply before any retrieval. A question is taken as
English unless most of its letters are non-Latin, or it has more function words of common
European languages than of English (at least two); short or technical questions stay English.
"""

from __future__ import annotations

import re

MIN_LATIN = 0.5  # share of letters in Latin script
MIN_FOREIGN = 2  # foreign function words needed to call a Latin-script question non-English

_LETTER = re.compile(r"[^\W\d_]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_ENGLISH = frozenset(
    """the a an of in on for to and or is are was were be been does do did can could should
    would will what which who when where why how with without from by at as that this these
    those it its there their they my i you your we our not no than after before during between
    about into have has had any all more most patients people treatment""".split()
)
# Function words of Spanish, French, German, Italian and Portuguese that are not English words.
_FOREIGN = frozenset(
    """el la los las de del en al se lo un por para con una unos unas es son está están qué cuál
    cómo cuándo dónde puede pueden sobre tiene tengo mi mis su sus y o pero más muy también le
    les des du est sont une avec pour dans sur qui quoi quel quelle quels comment pourquoi
    peut être avoir mon ma mes vous nous ils elles et ou mais très aussi der das dem den des
    ein eine einen und oder ist sind mit für auf wie was warum kann können nicht ich mein
    meine bei oder zu von il lo gli della delle dei di che chi perché può sono ho hai è e ou
    não uma com pelo pela quando onde porque pode são tem""".split()
) - _ENGLISH


def is_english(text: str) -> bool:
    """False when the text is mostly non-Latin script or reads as another European language."""
    letters = _LETTER.findall(text)
    if letters and sum(bool(_LATIN.match(c)) for c in letters) / len(letters) < MIN_LATIN:
        return False
    words = [w.lower() for w in _WORD.findall(text)]
    foreign = sum(w in _FOREIGN for w in words)
    english = sum(w in _ENGLISH for w in words)
    return not (foreign >= MIN_FOREIGN and foreign > english)
