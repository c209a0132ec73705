"""Pre- and post-processing of machine translation per language pair, read from data files.

The rules are data, not code (`language_data/`, shipped in the package; users extend them with
files of the same names in their own folder, `<data dir>/language_data/` in the app, read after
the shipped ones):
- `<source>.toml`: the source language's rewrites, contractions, abbreviations and inflections;
- `<target>.toml`: the target language's clean-up rules, plural rules and ¿…? ¡…! marks;
- `<source>-<target>.toml`: the pair's rules before and after the engine, with lookup tables;
- `<source>-<target>.phrasebook.tsv`: greetings, interjections and fixed expressions.
The layout of each file is described at its top.

One sentence goes through `prepare` (source rewrites, glossary and phrasebook placeholders, pair
rules, contractions) and, after the engine, `finish` (placeholders back, pair and target clean-up,
¿…? marks, first-letter case). Glossary and phrasebook share `phrase_matching.PhraseMatcher`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from dubstudio.core.errors import UserError
from dubstudio.core.project import GlossaryEntry
from dubstudio.stages.glossary import (
    Protected,
    glossary_phrases,
    is_placeholder,
    placeholder,
    protect_spans,
    read_term_table,
    restore,
)
from dubstudio.stages.phrase_matching import Phrase, PhraseMatcher

SHIPPED_DIR = Path(__file__).with_name("language_data")
_TEMPLATE = re.compile(r"\{(\d+)\|(\w+)\}")
_TARGET_TEXT = re.compile(r"\[\[(.*?)\]\]")
_FIRST_LETTER = re.compile(r"^([\s¿¡\"“«(\[—–-]*)(\w)")


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    replace: str
    why: str = ""
    #: engines that use context (neural MT) get the text without this rule
    rule_based_only: bool = False


@dataclass
class PairRules:
    """Everything DubStudio knows about translating `source`→`target` beyond the engine."""

    source: str
    target: str
    abbreviations: tuple[str, ...] = ()
    source_rewrites: list[Rule] = field(default_factory=list)
    contractions: dict[str, str] = field(default_factory=dict)
    pre: list[Rule] = field(default_factory=list)
    post: list[Rule] = field(default_factory=list)
    #: the target's fillers a dub text may drop when it is too long for its cue (`condense`)
    condense: list[Rule] = field(default_factory=list)
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    phrasebook: list[Phrase] = field(default_factory=list)
    suffixes: tuple[str, ...] = ()
    plural_rules: tuple[tuple[str, str], ...] = ()
    inverted_marks: bool = False
    files: tuple[Path, ...] = ()

    def matcher(self, glossary: Sequence[GlossaryEntry]) -> PhraseMatcher:
        """The one matcher for the glossary (wins overlaps) and the phrasebook."""
        return PhraseMatcher(
            [*glossary_phrases(glossary), *self.phrasebook],
            suffixes=self.suffixes,
            plural_rules=self.plural_rules,
        )

    @cached_property
    def contraction_pattern(self) -> re.Pattern[str] | None:
        if not self.contractions:
            return None
        words = sorted(self.contractions, key=len, reverse=True)
        return re.compile(r"(?<![\w'])(?:" + "|".join(map(re.escape, words)) + r")(?![\w'])", re.IGNORECASE)


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(
            f"the language rules file is not valid TOML ({exc})",
            path=path,
            fix="Correct it (the shipped file of the same name describes the layout) or remove it.",
        ) from exc


def _rules(entries: object, path: Path, section: str) -> list[Rule]:
    if not isinstance(entries, list):
        raise UserError(
            f"[[{section}]] must be a list of tables", path=path, fix="Write each rule as [[...]]."
        )
    rules = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("pattern"), str):
            raise UserError(
                f"[[{section}]] rule {number} has no 'pattern'", path=path, fix="Give every rule a pattern."
            )
        try:
            pattern = re.compile(entry["pattern"])
        except re.error as exc:
            raise UserError(
                f"[[{section}]] rule {number} has a bad regular expression ({exc})",
                path=path,
                fix="Correct the pattern (Python regular expression syntax).",
            ) from exc
        rules.append(
            Rule(
                pattern,
                str(entry.get("replace", "")),
                str(entry.get("why", "")),
                bool(entry.get("rule_based_only")),
            )
        )
    return rules


def _phrasebook(path: Path) -> list[Phrase]:
    if not path.is_file():
        return []
    phrases = []
    for source, target, where in read_term_table(path, ("source", "target", "where"), "phrasebook"):
        if where not in ("", "clause", "anywhere"):
            raise UserError(
                f"the phrasebook entry '{source}' has the place '{where}'",
                path=path,
                fix="Leave the third column empty, or write 'clause' or 'anywhere'.",
            )
        scope = "word" if where == "anywhere" else "clause"
        phrases.append(Phrase(source, target, scope=scope, adapt_case=True, kind="phrasebook"))
    return phrases


def _load(pair_rules: PairRules, folder: Path) -> None:
    source, target = pair_rules.source, pair_rules.target
    files = {
        "source": folder / f"{source}.toml",
        "target": folder / f"{target}.toml",
        "pair": folder / f"{source}-{target}.toml",
    }
    data = {role: _read_toml(path) for role, path in files.items()}
    source_data, target_data, pair_data = data["source"], data["target"], data["pair"]
    pair_rules.abbreviations += tuple(source_data.get("abbreviations", ()))
    pair_rules.suffixes += tuple(source_data.get("inflection_suffixes", ()))
    pair_rules.source_rewrites += _rules(source_data.get("rewrite", []), files["source"], "rewrite")
    pair_rules.contractions.update(source_data.get("contractions", {}))
    pair_rules.pre += _rules(pair_data.get("pre", []), files["pair"], "pre")
    # the pair's fixes come before the target language's general clean-up
    pair_rules.post = (
        _rules(pair_data.get("post", []), files["pair"], "post")
        + pair_rules.post
        + _rules(target_data.get("post", []), files["target"], "post")
    )
    pair_rules.condense += _rules(target_data.get("condense", []), files["target"], "condense")
    for name, table in pair_data.get("tables", {}).items():
        pair_rules.tables.setdefault(name, {}).update({str(k).lower(): str(v) for k, v in table.items()})
    pair_rules.plural_rules = tuple(tuple(rule) for rule in target_data.get("plural_rules", ())) or (
        pair_rules.plural_rules
    )
    pair_rules.inverted_marks = bool(target_data.get("inverted_marks", pair_rules.inverted_marks))
    phrasebook_path = folder / f"{source}-{target}.phrasebook.tsv"
    # a user's entry replaces a shipped one for the same expression
    added = _phrasebook(phrasebook_path)
    replaced = {p.source.casefold() for p in added}
    pair_rules.phrasebook = [p for p in pair_rules.phrasebook if p.source.casefold() not in replaced] + added
    pair_rules.files += tuple(p for p in (*files.values(), phrasebook_path) if p.is_file())


def _stamp(folder: Path, source: str, target: str) -> tuple:
    names = (
        f"{source}.toml",
        f"{target}.toml",
        f"{source}-{target}.toml",
        f"{source}-{target}.phrasebook.tsv",
    )
    stamps = []
    for name in names:
        try:
            info = (folder / name).stat()
            stamps.append((name, info.st_size, info.st_mtime_ns))
        except OSError:
            stamps.append((name, None, None))
    return tuple(stamps)


@cache
def _cached(source: str, target: str, user_folder: Path, _stamps: tuple) -> PairRules:
    rules = PairRules(source, target)
    for folder in dict.fromkeys((SHIPPED_DIR, user_folder)):
        _load(rules, folder)
    return rules


def load_pair_rules(source: str, target: str, user_folder: Path | None = None) -> PairRules:
    """The shipped rules for the pair plus those in `user_folder` (re-read when a user file changes)."""
    folder = user_folder or SHIPPED_DIR
    return _cached(source, target, folder, _stamp(folder, source, target))


def source_abbreviations(source: str) -> tuple[str, ...]:
    """Words ending in a full stop that do not end a sentence in `source` (shipped data)."""
    return tuple(_read_toml(SHIPPED_DIR / f"{source}.toml").get("abbreviations", ()))


# ---- applying them ---------------------------------------------------------------------------------


def _expand(template: str, match: re.Match[str], tables: dict[str, dict[str, str]]) -> str:
    def lookup(found: re.Match[str]) -> str:
        value = match.group(int(found.group(1))) or ""
        if is_placeholder(value):
            return value
        table = tables.get(found.group(2), {})
        if value.lower() in table:
            return table[value.lower()]
        return table["*"].replace("{}", value) if "*" in table else value

    with_tables = _TEMPLATE.sub(lookup, template)
    return re.sub(r"\\(\d+)", lambda g: match.group(int(g.group(1))) or "", with_tables)


def _apply(rules: Sequence[Rule], text: str, tables: dict[str, dict[str, str]], rule_based: bool) -> str:
    for rule in rules:
        if rule.rule_based_only and not rule_based:
            continue
        text = rule.pattern.sub(lambda m, rule=rule: _expand(rule.replace, m, tables), text)
    return text


def _expand_contractions(text: str, rules: PairRules) -> str:
    pattern = rules.contraction_pattern
    if pattern is None:
        return text
    lowered = {k.lower(): v for k, v in rules.contractions.items()}

    def expand(match: re.Match[str]) -> str:
        word = match.group(0)
        expanded = lowered[word.lower()]
        if word[0].isupper() and expanded[0].islower():
            expanded = expanded[0].upper() + expanded[1:]
        return expanded

    return pattern.sub(expand, text)


@dataclass(frozen=True)
class Prepared:
    """A sentence ready for the engine, and what `finish` needs to put back."""

    source: str
    text: str
    protected: Protected
    #: the source expressions the phrasebook rendered (idioms among them need no review)
    phrasebook: tuple[str, ...]
    #: the whole sentence is a phrasebook rendering: no engine needed
    complete: bool


def prepare(text: str, rules: PairRules, matcher: PhraseMatcher, *, rule_based: bool = True) -> Prepared:
    """The sentence as the engine should see it (`rule_based`: apply the rules neural MT needs not)."""
    text = _apply(rules.source_rewrites, " ".join(text.split()), rules.tables, True)
    matches = matcher.find(text)
    spans = [
        (m.start, m.end, m.rendering, phrase.source if phrase.kind == "glossary" else "")
        for m in matches
        for phrase in (matcher.phrases[m.phrase_index],)
    ]
    used_phrasebook = tuple(
        text[m.start : m.end] for m in matches if matcher.phrases[m.phrase_index].kind == "phrasebook"
    )
    protected = protect_spans(text, spans)
    # pair rules may produce Spanish ([[…]]): those become placeholders after the ones above
    rewritten = _apply(rules.pre, protected.text, rules.tables, rule_based)
    renderings, terms = list(protected.renderings), list(protected.terms)

    def target_text(match: re.Match[str]) -> str:
        renderings.append(match.group(1))
        terms.append("")
        return placeholder(len(renderings) - 1)

    rewritten = _TARGET_TEXT.sub(target_text, rewritten)
    rewritten = _expand_contractions(rewritten, rules)
    protected = Protected(rewritten, tuple(renderings), tuple(terms))
    leftover = re.sub(r"ZZG\d+ZZ|[\W_]+", "", rewritten)
    return Prepared(text, rewritten, protected, used_phrasebook, complete=bool(matches) and not leftover)


def _case_like_source(text: str, source: str) -> str:
    """Start with a capital when the source does (or starts with a number), else in lower case."""
    source_first = _FIRST_LETTER.match(source)
    target_first = _FIRST_LETTER.match(text)
    if not source_first or not target_first:
        return text
    letter, model = target_first.group(2), source_first.group(2)
    if model.isupper() or model.isdigit():
        wanted = letter.upper()
    else:
        following = text[target_first.end(2) : target_first.end(2) + 1]
        wanted = letter if following.isupper() else letter.lower()  # keep acronyms ("EE. UU.")
    return text[: target_first.start(2)] + wanted + text[target_first.end(2) :]


def _inverted_marks(text: str) -> str:
    """Open a question (exclamation) at the start of the sentence it ends."""
    for closing, opening in (("?", "¿"), ("!", "¡")):
        stripped = text.rstrip(" \"”»')")
        if stripped.endswith(closing) and opening not in text:
            lead = re.match(r"^[\s\"“«(—–-]*", text)
            position = lead.end() if lead else 0
            text = text[:position] + opening + text[position:]
    return text


_SENTENCE_START = re.compile(r"([.!?…]\s+[¿¡\"“«(]*)(\w)")


def condense(text: str, rules: PairRules) -> str:
    """The dub text without the fillers the target's `[[condense]]` rules drop ("por cierto",
    "la verdad es que"): what a dubbing adaptor cuts first when a line is too long for its cue.
    Sentences still start with a capital; the text is unchanged when no rule applies."""
    shorter = " ".join(_apply(rules.condense, text, rules.tables, True).split())
    if shorter == text or not shorter.strip(" .,;:"):
        return text
    shorter = " ".join(_apply(rules.post, shorter, rules.tables, True).split())
    shorter = _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), shorter)
    return _case_like_source(shorter, text)


def finish(translated: str, prepared: Prepared, rules: PairRules) -> tuple[str, list[str]]:
    """The engine's output with placeholders restored and the target's conventions applied; also
    the glossary terms that were lost."""
    text, lost = restore(translated, prepared.protected)
    text = _apply(rules.post, " ".join(text.split()), rules.tables, True).strip()
    text = " ".join(text.split())
    if rules.inverted_marks and text:
        text = _inverted_marks(text)
    return _case_like_source(text, prepared.source), lost
