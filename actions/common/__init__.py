"""What every domain's actions share (replies, localisation, knowledge base, settings), and the actions of no
domain (greetings, fallback, health)."""
