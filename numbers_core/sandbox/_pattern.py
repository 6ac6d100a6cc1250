"""The phonenumbers metadata patterns as automata that can generate numbers.

The metadata describes every number range of a country as a regular
expression over digits. Compiled into an automaton, such a pattern answers
"can any number of this shape (some digits fixed, the others free) match?"
and draws a random one that does, which is how the sandbox finds valid
numbers that start with, end with or contain what a search asks for without
guessing and discarding.

The metadata uses a small regex dialect: digits, ``\\d``, classes ``[...]``,
groups ``(...)`` / ``(?:...)``, ``|`` and the quantifiers ``?``, ``*``,
``+``, ``{n}``, ``{n,}``, ``{n,m}``. Anything else is refused loudly.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

__all__ = ["DigitPattern", "PatternSyntaxError"]

FREE = "?"
"""A template position that any digit may fill."""

_ALL_DIGITS = (1 << 10) - 1
# The memo of viable (state, rest) pairs grows with the variety of searches; a
# process that runs for days must not keep every template it ever saw.
_MEMO_LIMIT = 200_000


class PatternSyntaxError(ValueError):
    """The pattern uses syntax outside the metadata's dialect."""


@dataclass
class _Nfa:
    epsilon: list[list[int]] = field(default_factory=list)
    edges: list[list[tuple[int, int]]] = field(default_factory=list)  # (digit mask, target)

    def node(self) -> int:
        self.epsilon.append([])
        self.edges.append([])
        return len(self.epsilon) - 1


@dataclass(frozen=True)
class _Digits:
    mask: int  # bit d set: digit d matches


@dataclass(frozen=True)
class _Cat:
    parts: list[_Tree]


@dataclass(frozen=True)
class _Alt:
    branches: list[_Tree]


@dataclass(frozen=True)
class _Rep:
    inner: _Tree
    low: int
    high: int | None  # None: unbounded


_Tree = _Digits | _Cat | _Alt | _Rep


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> PatternSyntaxError:
        return PatternSyntaxError(f"{why} at {self.pos} in {self.text!r}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self, expected: str | None = None) -> str:
        char = self.peek()
        if not char or (expected is not None and char != expected):
            raise self.fail(f"expected {expected or 'more'}")
        self.pos += 1
        return char

    def parse(self) -> _Tree:
        tree = self.alternation()
        if self.pos != len(self.text):
            raise self.fail("unexpected character")
        return tree

    def alternation(self) -> _Tree:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.take()
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else _Alt(branches)

    def sequence(self) -> _Tree:
        items: list[_Tree] = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.quantified(self.atom()))
        return _Cat(items)

    def atom(self) -> _Tree:
        char = self.take()
        if char.isdigit():
            return _Digits(1 << int(char))
        if char == "\\":
            if self.take() != "d":
                raise self.fail("only \\d is supported")
            return _Digits(_ALL_DIGITS)
        if char == "[":
            return _Digits(self.digit_class())
        if char == "(":
            if self.peek() == "?":
                self.take()
                self.take(":")
            inner = self.alternation()
            self.take(")")
            return inner
        raise self.fail(f"unsupported {char!r}")

    def digit_class(self) -> int:
        mask = 0
        while self.peek() != "]":
            if self.peek() == "\\":
                self.take()
                self.take("d")
                mask |= _ALL_DIGITS
                continue
            low = self.take()
            high = low
            if self.peek() == "-":
                self.take()
                high = self.take()
            if not (low.isdigit() and high.isdigit() and low <= high):
                raise self.fail("bad class")
            for digit in range(int(low), int(high) + 1):
                mask |= 1 << digit
        self.take("]")
        return mask

    def quantified(self, tree: _Tree) -> _Tree:
        char = self.peek()
        if char == "?":
            self.take()
            return _Rep(tree, 0, 1)
        if char == "*":
            self.take()
            return _Rep(tree, 0, None)
        if char == "+":
            self.take()
            return _Rep(tree, 1, None)
        if char != "{":
            return tree
        self.take()
        low = self.number()
        high: int | None = low
        if self.peek() == ",":
            self.take()
            high = self.number() if self.peek() != "}" else None
        self.take("}")
        if high is not None and high < low:
            raise self.fail("bad repetition")
        return _Rep(tree, low, high)

    def number(self) -> int:
        start = self.pos
        while self.peek().isdigit():
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected a number")
        return int(self.text[start : self.pos])


def _compile(nfa: _Nfa, tree: _Tree) -> tuple[int, int]:
    """Thompson construction: the (entry, exit) nodes of ``tree``."""
    entry, exit_ = nfa.node(), nfa.node()
    if isinstance(tree, _Digits):
        nfa.edges[entry].append((tree.mask, exit_))
    elif isinstance(tree, _Alt):
        for branch in tree.branches:
            start, end = _compile(nfa, branch)
            nfa.epsilon[entry].append(start)
            nfa.epsilon[end].append(exit_)
    elif isinstance(tree, _Cat):
        last = entry
        for part in tree.parts:
            start, end = _compile(nfa, part)
            nfa.epsilon[last].append(start)
            last = end
        nfa.epsilon[last].append(exit_)
    else:
        last = entry
        for _ in range(tree.low):
            start, end = _compile(nfa, tree.inner)
            nfa.epsilon[last].append(start)
            last = end
        if tree.high is None:
            start, end = _compile(nfa, tree.inner)
            nfa.epsilon[last].append(start)
            nfa.epsilon[end].append(start)
            nfa.epsilon[end].append(exit_)
        else:
            for _ in range(tree.high - tree.low):
                start, end = _compile(nfa, tree.inner)
                nfa.epsilon[last].append(start)
                nfa.epsilon[last].append(exit_)
                last = end
        nfa.epsilon[last].append(exit_)
    return entry, exit_


class DigitPattern:
    """One metadata pattern, matched against whole national numbers.

    States of the (lazily built) deterministic automaton are small ints;
    ``-1`` is the dead state. Safe to share between threads.
    """

    def __init__(self, regex: str) -> None:
        self.regex = regex
        self._nfa = _Nfa()
        start, self._accept = _compile(self._nfa, _Parser(regex).parse())
        self._lock = threading.Lock()
        self._ids: dict[frozenset[int], int] = {}
        self._sets: list[frozenset[int]] = []
        self._next: list[list[int | None]] = []
        self._memo: dict[tuple[int, str], bool] = {}
        self._choices: dict[tuple[int, str, int], tuple[tuple[str, int], ...]] = {}
        self._start = self._intern(self._closure({start}))

    def _closure(self, nodes: set[int]) -> frozenset[int]:
        stack = list(nodes)
        seen = set(nodes)
        while stack:
            for target in self._nfa.epsilon[stack.pop()]:
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return frozenset(seen)

    def _intern(self, nodes: frozenset[int]) -> int:
        if not nodes:
            return -1
        found = self._ids.get(nodes)
        if found is None:
            found = self._ids[nodes] = len(self._sets)
            self._sets.append(nodes)
            self._next.append([None] * 10)
        return found

    def _step(self, state: int, digit: int) -> int:
        if state < 0:
            return -1
        known = self._next[state][digit]
        if known is not None:
            return known
        with self._lock:
            bit = 1 << digit
            targets = {
                target for node in self._sets[state] for mask, target in self._nfa.edges[node] if mask & bit
            }
            result = self._intern(self._closure(targets))
            self._next[state][digit] = result
        return result

    def _viable(self, state: int, rest: str) -> bool:
        """Whether some filling of ``rest`` leads from ``state`` to a match."""
        if state < 0:
            return False
        if not rest:
            return self._accept in self._sets[state]
        key = (state, rest)
        known = self._memo.get(key)
        if known is not None:
            return known
        tail = rest[1:]
        result = any(self._viable(self._step(state, digit), tail) for digit in _digits_for(rest[0]))
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = result
        return result

    def admits(self, template: str) -> bool:
        """Whether any number of this pattern fits ``template`` (digits and ``?``)."""
        return self._viable(self._start, template)

    def admits_prefix(self, prefix: str, lengths: tuple[int, ...]) -> bool:
        """Whether some number of one of ``lengths`` digits starts with ``prefix``."""
        return any(self.admits(prefix + FREE * (n - len(prefix))) for n in lengths if n >= len(prefix))

    def sample(self, template: str, rng: random.Random) -> str | None:
        """A number of this pattern fitting ``template``, drawn with ``rng``; None if there is none."""
        state = self._start
        if not self._viable(state, template):
            return None
        chosen = []
        bits = rng.getrandbits
        for index in range(len(template)):
            choices = self._choices.get((state, template, index)) or self._choices_at(state, template, index)
            # rng.choice(choices) without its two calls per digit (a search draws a few hundred): the
            # same bits, drawn as it draws them, so that a seed gives the numbers it always gave.
            count = len(choices)
            width = count.bit_length()
            pick = bits(width)
            while pick >= count:
                pick = bits(width)
            digit, state = choices[pick]
            chosen.append(digit)
        return "".join(chosen)

    def _choices_at(self, state: int, template: str, index: int) -> tuple[tuple[str, int], ...]:
        """The digits that may fill slot ``index`` of ``template`` from ``state`` on (each with the
        state it leads to), in order: a search draws thousands of numbers of the same few shapes."""
        rest = template[index + 1 :]
        known = tuple(
            (str(digit), step)
            for digit in _digits_for(template[index])
            if self._viable(step := self._step(state, digit), rest)
        )
        if len(self._choices) >= _MEMO_LIMIT:
            self._choices.clear()
        self._choices[state, template, index] = known
        return known


def _digits_for(slot: str) -> range | tuple[int]:
    return range(10) if slot == FREE else (int(slot),)
