"""Search (DESIGN §6): query text → parsed filters + semantic text (query.py) → hybrid retrieval (engine.py) →
ranked clips, each with the moment inside it that matched (hybrid.py)."""
