"""Chiba City knowledge: data files with sources, Japanese matching, FAISS retrieval (entry point: service)."""
