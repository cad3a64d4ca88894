"""The v1 API's endpoints and the score group each one answers for: the names both the extract side
(``flows/sources/v1``, the client, the plan) and the indicator catalogue (``dvc766/indicators.py``)
use, written once. The replica keeps its own copy on purpose (``replica/shapes.py``); a test holds
the two together.
"""

from __future__ import annotations

SERVICE_RESULTS = "evaluation/service-results"
TRANSPARENCY = "evaluation/transparency"
SATISFACTION = "evaluation/handling-satisfaction"
DIGITIZED = "evaluation/dossier-digitized"
PROGRESS_TREE = "evaluation/dvc-progress-tree"
ONLINE_TREE = "evaluation/provide-online-tree"
PAYMENT_TREE = "evaluation/formality-online-payment-tree"
FORMALITIES = "formalities"

# The seven evaluation endpoints, in the order a province batch asks them.
ENDPOINTS: tuple[str, ...] = (
    SERVICE_RESULTS,
    TRANSPARENCY,
    SATISFACTION,
    DIGITIZED,
    PROGRESS_TREE,
    ONLINE_TREE,
    PAYMENT_TREE,
)
KNOWN_ENDPOINTS: tuple[str, ...] = (*ENDPOINTS, FORMALITIES)

# Shape A (overview + evaluation[] + pagination) and Shape B (parent + children[]), with the group
# each scores (service-results scores all six).
SHAPE_A_GROUP: dict[str, str] = {TRANSPARENCY: "CKMB", SATISFACTION: "MDHL", DIGITIZED: "MDSH"}
TREE_GROUP: dict[str, str] = {PROGRESS_TREE: "TDGQ", ONLINE_TREE: "CLGQ", PAYMENT_TREE: "TTTT"}
ENDPOINT_GROUP: dict[str, str] = {**SHAPE_A_GROUP, **TREE_GROUP}
