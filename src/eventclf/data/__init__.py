"""Data: reading, sentence splitting, labelling and datasets."""
