"""Which indicators a news item may bear on, with a score a forecaster can check by hand.

The rule (docs/forecasters/inbox-matching.md has it with a worked example):

1. **Words.** Text is cut into words, lower-cased, stripped of English stop words
   and a possessive ``'s``, and stemmed (Snowball English: *withdrawal* and
   *withdrawing* are both ``withdraw``). A word whose stem is a checklist stem
   plus at most two letters, or the reverse, counts as that stem (*Syrian* is
   ``syria``, *Russian* is ``russia``): the shortest such stem.
2. **On topic?** An item is matched against a question only if it is about it:
   it holds one of the question's ``look_for:`` phrases (every stem of the phrase,
   anywhere in the item), or at least two different stems of the question's title
   and text. "Talks continue with no deal" about a football club shares words with
   an indicator but names neither Syria nor Russia's bases.
3. **Score.** Each indicator's document is its ``text`` and its ``look_for:``
   phrases. Against it, each segment of the item (its title, its description,
   both together, and each sentence of an article's body) gets two TF-IDF cosine
   similarities, computed by scikit-learn: one over stems, one over character
   3- to 5-grams within words (which catch *Hmeimim* for *Khmeimim*). The IDF is
   fitted on the question's indicator documents, so a word every indicator uses
   ("Russian") says little and a word only one uses ("submarine") says much; a
   word the checklist never uses counts in the segment's length at the highest
   IDF. The segment's score is ``WORD_SHARE * words + (1 - WORD_SHARE) * chars``,
   plus :data:`LOOK_FOR_BONUS` if it holds one of the indicator's own ``look_for:``
   phrases (capped at 1). An item's score for an indicator is its best segment's,
   and that segment is the quote.
4. **Candidates.** An item's :data:`TOP` best indicators that score at least
   :data:`MIN_SCORE` are its candidates.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..model import Question
from .fetch import Item

__all__ = [
    "LOOK_FOR_BONUS",
    "MIN_SCORE",
    "TOP",
    "WORD_SHARE",
    "Candidate",
    "QuestionMatcher",
    "match_items",
    "stems",
]

#: The weight of the stems' cosine in a segment's score; the character n-grams' is the rest.
WORD_SHARE = 0.6
#: Added to a segment's score when it holds one of the indicator's own ``look_for:`` phrases.
LOOK_FOR_BONUS = 0.25
#: An indicator scoring less than this is not proposed.
MIN_SCORE = 0.12
#: An item's best indicators proposed at most.
TOP = 3
#: Stems of a question's title and text that a question without ``look_for:`` needs two of.
TOPIC_STEMS_NEEDED = 2
#: Words that say what kind of question it is, not what it is about.
_QUESTION_WORDS = frozenset(
    {"question", "close", "when", "will", "happen", "end", "resolv", "befor", "after"}
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_POSSESSIVE = re.compile(r"['’]s?$")


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning: lower-cased, without stop words or a possessive ``'s``.

    Examples
    --------
    >>> words("Russia's warships leave the Tartus quays")
    ['russia', 'warships', 'leave', 'tartus', 'quays']
    """
    stop = _stop_words()
    found = []
    for word in _WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        word = _POSSESSIVE.sub("", word)
        if len(word) > 1 and word not in stop:
            found.append(word)
    return found


def stems(text: str) -> list[str]:
    """The stems of :func:`words` (Snowball English).

    Examples
    --------
    >>> stems("Russian troops withdrawing from Khmeimim")
    ['russian', 'troop', 'withdraw', 'khmeimim']
    """
    return [_stem(w) for w in words(text)]


@lru_cache(maxsize=50_000)
def _stems_of(text: str) -> tuple[str, ...]:
    """:func:`stems`, kept for the texts seen again (each segment is read for every question and twice each)."""
    return tuple(stems(text))


@lru_cache(maxsize=50_000)
def _char_grams(text: str) -> tuple[str, ...]:
    """The character 3- to 5-grams of each of the text's :func:`words`, padded with a space at each end."""
    grams: list[str] = []
    for word in words(text):
        padded = f" {word} "
        for n in (3, 4, 5):
            grams.extend(padded[k : k + n] for k in range(len(padded) - n + 1))
    return tuple(grams)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A proposal that ``item`` may bear on ``indicator`` of ``question``, with its score and quote."""

    question: str
    indicator: str
    score: float
    quote: str
    item: Item


class QuestionMatcher:
    """The matching of items against one question's checklist (the rule in the module's docstring).

    Parameters
    ----------
    question : Question
        The question; its indicators' ``text`` and ``look_for`` and its own
        ``title``, ``question`` and ``look_for`` are what is matched.
    """

    def __init__(self, question: Question) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.question = question
        self.indicators = question.indicators
        documents = [" ".join((i.text, *i.look_for)) for i in self.indicators]
        self.vocabulary = frozenset(s for d in documents for s in stems(d)) | frozenset(
            s for s in stems(" ".join((question.title, question.question, *question.look_for)))
        )
        self._aliases: dict[str, str] = {}
        self._word_vectorizer = TfidfVectorizer(analyzer=self._stem_features, sublinear_tf=True, norm=None)
        self._char_vectorizer = TfidfVectorizer(analyzer=self._char_features, sublinear_tf=True, norm=None)
        self._words = self._fit(self._word_vectorizer, documents)
        self._chars = self._fit(self._char_vectorizer, documents)
        self._indicator_phrases = [[self._phrase(p) for p in i.look_for] for i in self.indicators]
        self._topic_phrases = [self._phrase(p) for p in question.look_for]
        self._topic_stems = (
            frozenset(self._normal(stems(f"{question.title} {question.question}"))) - _QUESTION_WORDS
        )

    # ------------------------------------------------------------------ words

    def _alias(self, stem: str) -> str:
        """The checklist stem that ``stem`` counts as: the shortest near one (itself if none)."""
        known = self._aliases.get(stem)
        if known is None:
            near = sorted(
                (len(v), v)
                for v in self.vocabulary
                if len(v) >= 4
                and len(stem) >= 4
                and (stem.startswith(v) or v.startswith(stem))
                and abs(len(v) - len(stem)) <= 2
            )
            known = self._aliases[stem] = near[0][1] if near else stem
        return known

    def _normal(self, found: Iterable[str]) -> list[str]:
        return [self._alias(s) for s in found]

    def _stem_features(self, text: str) -> list[str]:
        return self._normal(_stems_of(text))

    @staticmethod
    def _char_features(text: str) -> tuple[str, ...]:
        return _char_grams(text)

    def _phrase(self, text: str) -> frozenset[str]:
        return frozenset(self._stem_features(text))

    @staticmethod
    def _fit(vectorizer, documents: list[str]):
        import numpy as np

        matrix = vectorizer.fit_transform(documents)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        return matrix, np.where(norms > 0, norms, 1.0), float(vectorizer.idf_.max())

    # ------------------------------------------------------------------ the rule

    def on_topic(self, item: Item) -> bool:
        """Whether ``item`` is about the question (step 2 of the rule)."""
        found = set(self._stem_features(" ".join((item.title, item.description, *item.body))))
        if any(phrase and phrase <= found for phrase in self._topic_phrases):
            return True
        return len(found & self._topic_stems) >= TOPIC_STEMS_NEEDED

    def _cosines(self, vectorizer, fitted, segments: list[str]):
        import numpy as np

        matrix, norms, highest = fitted
        vectors = vectorizer.transform(segments)
        known = vectors.multiply(vectors).sum(axis=1)
        vocabulary = vectorizer.vocabulary_
        analyzer = vectorizer.analyzer
        unknown = np.array(
            [len({f for f in analyzer(s) if f not in vocabulary}) for s in segments], dtype=float
        )
        # A feature the checklist never uses counts in the segment's length at the highest IDF.
        length = np.sqrt(np.asarray(known).ravel() + unknown * highest**2)
        dots = (vectors @ matrix.T).toarray()
        return dots / np.where(length > 0, length, 1.0)[:, None] / norms[None, :]

    def scores(self, segments: Sequence[str]):
        """The score of each segment (rows) for each indicator (columns), by step 3 of the rule."""
        import numpy as np

        segments = list(segments)
        if not segments:
            return np.zeros((0, len(self.indicators)))
        total = WORD_SHARE * self._cosines(self._word_vectorizer, self._words, segments) + (
            1 - WORD_SHARE
        ) * self._cosines(self._char_vectorizer, self._chars, segments)
        found = [set(self._stem_features(segment)) for segment in segments]
        for column, phrases in enumerate(self._indicator_phrases):
            for row, stems_found in enumerate(found):
                if any(p and p <= stems_found for p in phrases):
                    total[row, column] += LOOK_FOR_BONUS
        return np.minimum(total, 1.0)

    def candidates(self, item: Item, top: int = TOP) -> list[Candidate]:
        """The indicators ``item`` may bear on, best first (none if it is off topic)."""
        return self.candidates_of([item], top)[0]

    def candidates_of(self, items: Sequence[Item], top: int = TOP) -> list[list[Candidate]]:
        """:meth:`candidates` of each item, scored together (one matrix product for them all)."""
        import numpy as np

        topical = [self.on_topic(item) for item in items]
        quotes: list[str] = []
        segments: list[str] = []
        bounds = []
        for item, on in zip(items, topical):
            start = len(segments)
            if on:
                q, s = _segments(item)
                quotes += q
                segments += s
            bounds.append((start, len(segments)))
        scores = self.scores(segments)
        found: list[list[Candidate]] = []
        for item, (start, stop) in zip(items, bounds):
            if start == stop:
                found.append([])
                continue
            block = scores[start:stop]
            best_row = block.argmax(axis=0)
            best = np.round(block.max(axis=0), 4)
            # Ties go to the indicator listed first in the question file: the same inputs, the same order.
            order = sorted(range(len(self.indicators)), key=lambda k: (-best[k], k))
            found.append(
                [
                    Candidate(
                        self.question.id,
                        self.indicators[k].id,
                        float(best[k]),
                        quotes[start + int(best_row[k])],
                        item,
                    )
                    for k in order[:top]
                    if best[k] >= MIN_SCORE
                ]
            )
        return found


def _segments(item: Item) -> tuple[list[str], list[str]]:
    """(quote, text scored) of each segment of an item: title, description, both, each sentence."""
    pairs: list[tuple[str, str]] = []
    if item.title:
        pairs.append((item.title, item.title))
    if item.description:
        pairs.append((item.description, item.description))
        if item.title:
            pairs.append((f"{item.title} — {item.description}", f"{item.title}. {item.description}"))
    pairs.extend((s, s) for s in item.body)
    return [q for q, _ in pairs], [t for _, t in pairs]


def match_items(
    items: Iterable[Item], questions: Sequence[Question], *, top: int = TOP
) -> dict[str, list[Candidate]]:
    """Every item's candidates for every question, each question's best first.

    Parameters
    ----------
    items : iterable of Item
    questions : sequence of Question
        The open questions to match against.
    top : int
        An item's best indicators proposed at most.

    Returns
    -------
    dict of str to list of Candidate
        By question id, sorted by score (highest first), then by item and indicator order.
    """
    items = list(items)
    found: dict[str, list[Candidate]] = {}
    for question in questions:
        matcher = QuestionMatcher(question)
        ranked = [(c, n) for n, found in enumerate(matcher.candidates_of(items, top)) for c in found]
        ranked.sort(key=lambda pair: (-pair[0].score, pair[1]))
        found[question.id] = [c for c, _ in ranked]
    return found
