"""A deterministic generator of council-decision-like documents with known facts.

Used by tests (crash safety, concurrency) and benchmarks (throughput, latency at size).
Each document states its council, service, provider, funding stream and amount in sentences
modelled on real decision records, so search and extraction have something true to find.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

COUNCILS = [
    "St Helens Borough Council",
    "Kent County Council",
    "Sefton Council",
    "Knowsley Council",
    "Wigan Council",
    "Manchester City Council",
    "Leeds City Council",
    "Bristol City Council",
    "Devon County Council",
    "Norfolk County Council",
    "Cardiff Council",
    "Fife Council",
    "Brent Council",
    "Lewisham Council",
    "Medway Council",
    "Wiltshire Council",
]
SERVICES = [
    "parent-infant mental health service",
    "health visiting service",
    "infant feeding peer support",
    "speech and language therapy",
    "domestic abuse support service",
    "family hub outreach",
    "perinatal mental health service",
    "early help key work",
    "school nursing",
    "substance misuse recovery service",
]
PROVIDERS = [
    "Mersey Care NHS Foundation Trust",
    "Barnardo's",
    "Action for Children",
    "Home-Start UK",
    "Family Action",
    "Bright Futures Ltd",
    "Solent NHS Trust",
    "The Children's Society",
]
FUNDING = [
    "the Family Hubs and Start for Life programme",
    "the Public Health Grant",
    "the Better Care Fund",
    "the Supporting Families programme",
    "the Violence Reduction Partnership",
    "the Household Support Fund",
    "council reserves",
    "the Integrated Care Board",
]
FILLER = [
    "Officers consulted the portfolio holder and ward members before the decision was taken.",
    "The equality impact assessment found no adverse impact on any protected group.",
    "Data will be processed in line with the council's data protection obligations.",
    "Performance will be monitored quarterly through the contract management framework.",
    "The service will be reviewed at the end of the first year against agreed outcomes.",
    "Demand for early support has risen each year since the pandemic.",
    "Families told us they want help closer to home and at times that suit them.",
    "Risks are recorded in the directorate risk register and reviewed monthly.",
]


@dataclass(frozen=True)
class GeneratedFacts:
    file: str
    council: str
    service: str
    provider: str
    funding: str
    amount: int
    year: int


def document(
    rng: random.Random, number: int, paragraphs: int = 6, councils: Sequence[str] = COUNCILS
) -> tuple[str, GeneratedFacts]:
    facts = GeneratedFacts(
        file=f"decision-{number:06d}.txt",
        council=rng.choice(councils),
        service=rng.choice(SERVICES),
        provider=rng.choice(PROVIDERS),
        funding=rng.choice(FUNDING),
        amount=rng.randrange(20, 900) * 1000,
        year=rng.randrange(2016, 2026),
    )
    body = [
        f"Decision ref\n{number:04d} {facts.year}/{(facts.year + 1) % 100:02d}",
        f"Title\nAward of a contract for the {facts.service}",
        "Summary\n"
        f"{facts.council} has agreed to commission the {facts.service} from {facts.provider} "
        f"for two years from April {facts.year}.",
        "Financial implications\n"
        f"The service will cost £{facts.amount:,} per annum and is funded from {facts.funding}.",
    ]
    for _ in range(paragraphs):
        body.append(" ".join(rng.sample(FILLER, 4)))
    return "\n\n".join(body) + "\n", facts


def write_corpus(
    folder: Path,
    count: int,
    seed: int = 7,
    paragraphs: int = 6,
    councils: Sequence[str] = COUNCILS,
) -> list[GeneratedFacts]:
    """Write ``count`` documents and a manifest.jsonl into ``folder``; return their facts."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    all_facts = []
    with (folder / "manifest.jsonl").open("w") as manifest:
        for number in range(count):
            text, facts = document(rng, number, paragraphs, councils)
            (folder / facts.file).write_text(text)
            manifest.write(
                json.dumps(
                    {
                        "file": facts.file,
                        "organisation": facts.council,
                        "doc_type": "decision",
                        "date": f"{facts.year}-04-01",
                    }
                )
                + "\n"
            )
            all_facts.append(facts)
    return all_facts


def facts_dicts(facts: list[GeneratedFacts]) -> list[dict]:
    return [asdict(f) for f in facts]
