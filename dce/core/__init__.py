"""Core values every stage reads: attributes and their coding, ChoiceData, seed streams,
the parallel map over seeds and the items of an item study."""
