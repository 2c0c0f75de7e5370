"""LINE Messaging API channel of the gateway: `setup_line(app)` adds `POST /webhooks/line`."""

from channels.line.webhook import LINE_CHANNEL, setup_line

__all__ = ["LINE_CHANNEL", "setup_line"]
