"""Offline evaluation: leave-last-out next-item ranking on a catalog's interaction log.

protocols (cases, candidates) -> methods (rankings) -> metrics (ranx) -> significance -> report.
"""

from recchat.evaluation import cf_methods  # noqa: F401  (registers itemknn, sasrec, hybrid+cf)
from recchat.evaluation.run import PROTOCOLS, evaluate

__all__ = ["PROTOCOLS", "evaluate"]
