"""aiohttp gateway: web chat API and page, health check (LINE and the tablet interpreter come later)."""
