"""Offline evaluation: leave-last-out next-item ranking on a catalog's interaction log.

protocols (cases, candidates) -> methods (rankings) -> metrics (ranx) -> significance -> report.
"""

from .run import PROTOCOLS, evaluate

__all__ = ["PROTOCOLS", "evaluate"]
