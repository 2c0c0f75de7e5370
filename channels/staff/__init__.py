"""Staff pages (token-protected): reference requests to act on, and the questions the assistant could not answer.

`setup_staff(app)` adds the routes and opens the application database; without CHIBA_STAFF_TOKEN the pages answer
503 and say how to turn them on.
"""

from channels.staff.views import setup_staff

__all__ = ["setup_staff"]
