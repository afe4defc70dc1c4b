"""The support lead's console: server-rendered pages over what Rapport keeps in Redis."""
