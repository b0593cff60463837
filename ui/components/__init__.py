"""Custom components shipped with SourceDesk (inline HTML, CSS and JS; nothing from a CDN)."""
