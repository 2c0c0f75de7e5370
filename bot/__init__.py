"""Rasa project of the Chiba City Assistant: domain, stories, custom NLU components and channel."""
