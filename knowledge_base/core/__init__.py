"""Domain-neutral retrieval: normalisation, the e5 encoder, FAISS indexes, data loading and FAQ search."""
