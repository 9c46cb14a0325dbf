"""recchat: a chat-style recommender that works on domains it was never trained on.

A small LLM (llama.cpp) writes a rationale describing the wanted items; the rationale and the
user's own words become a HyDE query against a LanceDB catalog; real items come back.
"""

__version__ = "0.1.0"
