"""The part an organisation plays in a sentence, read from the words around its name.

- provider: "awarded to X", "with the current provider X", "delivered by X", "X has been
  commissioned to", "for X to deliver", "X has secured funding" (for a provider-type body);
- commissioner, strong: "commissioned by X", "funding from X", "X is seeking to commission",
  "X has awarded", "X has secured funding" (for a commissioner-type body);
- commissioner, weak (a funder that may or may not contract the service): "funded by X",
  "X has committed £...", "X is looking to develop".
Unknown providers ("through partner organisation Little Acorns") are captured by name after a
provider cue.
"""

from __future__ import annotations

import re

from extract.organisations import (
    COMMISSIONER_KINDS,
    FUNDER_KINDS,
    NAME,
    PROVIDER_KINDS,
    Organisation,
)

_PROVIDER_CUE = (
    r"(?:\b(?:award(?:ed|ing)?|let)\b[^.;]{0,90}?\bto|\b(?:delivered|provided|run|operated"
    r"|managed|supplied|purchased|bought)\s+(?:by|from)|\bprovider(?:\s+service)?"
    r"|\bpartner\s+organisation)\s*[,(]?\s*(?:the\s+)?(?:current\s+|existing\s+|incumbent\s+"
    r"|preferred\s+)?(?:(?:service\s+)?provider,?\s*)?\(?\s*"
)
PROVIDER_BEFORE = re.compile(_PROVIDER_CUE + "$", re.I)
PROVIDER_CUE = re.compile(_PROVIDER_CUE, re.I)
WITH_PROVIDER = re.compile(
    r"(?<!partnership )(?<!along )(?<!together )(?<!collaboration )(?<!closely )"
    r"\bwith\s+(?:the\s+)?(?:current\s+|existing\s+)?(?:provider,?\s+)?$",
    re.I,
)
CONTRACT_WORDS = re.compile(
    r"\b(?:contracts?|extension|extend|variation|agreement|framework|call-off)\b", re.I
)
PROVIDER_AFTER = re.compile(
    r"^\s*(?:\([^)]{1,20}\)\s*)?(?:(?:has|have|had)\s+been\s+(?:co-)?commissioned"
    r"|is\s+(?:now\s+)?(?:co-)?commissioned\s+to|(?:to|will|would|can)\s+(?:deliver|provide|run)\b)",
    re.I,
)
RECIPIENT_AFTER = re.compile(
    r"^\s*(?:\([^)]{1,20}\)\s*)?(?:has|have|had|will|is\s+to|are\s+to)\s+(?:been\s+|be\s+)?"
    r"(?:secured|awarded|receiv\w*|won|win|successful|granted)",
    re.I,
)
STRONG_BEFORE = re.compile(
    r"(?:\b(?:co-)?commissioned\s+by|\bfunding\s+from|\bsecured\s+by|\bon\s+behalf\s+of)"
    r"\s+(?:the\s+)?(?:\w+\s+and\s+)?$",
    re.I,
)
STRONG_AFTER = re.compile(
    r"^(?:['’]s)?\s*(?:\([^)]{1,15}\)\s*)?,?\s*(?:is|are|has|have|had|will|would|was)?\s*"
    r"(?:been\s+)?(?:now\s+)?(?:successful\s+in\s+)?(?:seeking\s+to\s+|proposes\s+to\s+)?"
    r"(?:commission\w*|award\w*|procur\w*|re-procur\w*|tender\w*|invit\w*|secur\w*|receiv\w*)",
    re.I,
)
WEAK_BEFORE = re.compile(r"\b(?:funded|paid\s+for|financed)\s+by\s+(?:the\s+)?$", re.I)
WEAK_AFTER = re.compile(
    r"^(?:['’]s)?\s*(?:\([^)]{1,15}\)\s*)?,?\s*(?:is|are|has|have|had|will|would|was)?\s*"
    r"(?:been\s+)?(?:looking|plans?|aims?|intends?|agreed|approved|resolved|allocat\w*"
    r"|committ?\w*|fund\w*|invest\w*)",
    re.I,
)
GENERIC_PROVIDER = re.compile(
    rf"(?:The\s+)?(?P<name>{NAME})(?:\s*\((?P<acronym>[A-Za-z]{{2,8}})\))?"
)
NOT_A_PROVIDER = re.compile(
    r"^(?:Council|Cabinet|Local Authorit\w+|LA|Department|Director\w*|Commissioner\w*|Board"
    r"|Mayor|Government|Members?|Officers?|Service|Services|NHS|The|Executive|Head|Chief"
    r"|Assistant|Deputy|Corporate|Interim|Portfolio|Lead|Manager|Strategic|Acting|Senior)\b"
)
WINDOW = 100


def _before(text: str, sentence_start: int, org: Organisation) -> str:
    return text[max(sentence_start, org.start - WINDOW) : org.start]


def _after(text: str, sentence_end: int, org: Organisation) -> str:
    return text[org.end : min(sentence_end, org.end + WINDOW)]


def is_provider(text: str, start: int, end: int, org: Organisation) -> bool:
    """Whether the sentence ``text[start:end]`` casts ``org`` as the provider."""
    if org.kind in FUNDER_KINDS or (org.kind == "council" and not org.explicit):
        return False
    before, after = _before(text, start, org), _after(text, end, org)
    if PROVIDER_BEFORE.search(before) or PROVIDER_AFTER.match(after):
        return True
    if WITH_PROVIDER.search(before) and CONTRACT_WORDS.search(text[start:end]):
        return org.kind not in COMMISSIONER_KINDS
    return org.kind in PROVIDER_KINDS and bool(RECIPIENT_AFTER.match(after))


def commissioner_strength(text: str, start: int, end: int, org: Organisation) -> int:
    """2 for a strong commissioner cue, 1 for a funder cue, 0 for none."""
    if org.kind not in COMMISSIONER_KINDS:
        return 0
    before, after = _before(text, start, org), _after(text, end, org)
    if STRONG_BEFORE.search(before) or STRONG_AFTER.match(after):
        return 2
    if WEAK_BEFORE.search(before) or WEAK_AFTER.match(after):
        return 1
    return 0


def funds_part(text: str, start: int, end: int, org: Organisation) -> bool:
    """Whether a commissioner-type body is said to pay for something the sentence names ("a
    support service funded by the PCC"): a passive cue right before the name, which ties the
    body to the thing funded rather than to the document's main contract."""
    if org.kind not in COMMISSIONER_KINDS:
        return False
    return bool(WEAK_BEFORE.search(_before(text, start, org)))


def unlisted_providers(
    text: str, start: int, end: int, known: list[Organisation]
) -> list[Organisation]:
    """Providers named after a provider cue that no list or pattern knows."""
    found = []
    for cue in PROVIDER_CUE.finditer(text, start, end):
        if cue.end() == cue.start():
            continue
        m = GENERIC_PROVIDER.match(text, cue.end(), end)
        if not m or any(k.start <= m.start("name") < k.end for k in known):
            continue
        name = m.group("name")
        if NOT_A_PROVIDER.match(name) or len(name) < 3:
            continue
        found.append(Organisation(name, "provider", m.start("name"), m.end("name"), name))
    return found
