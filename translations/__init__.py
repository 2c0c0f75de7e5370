"""Languages of the assistant: curated message templates (`messages`), detection and translation."""
