"""The desk-tablet interpreter (/interpreter): staff in Japanese, the resident in their language, curated text first.

`setup_interpreter(app)` adds the page and its API (channels/interpreter/views.py); matching a free sentence runs on
the action server (actions/interpreter), which holds the knowledge base and the e5 model.
"""

from channels.interpreter.views import setup_interpreter

__all__ = ["setup_interpreter"]
