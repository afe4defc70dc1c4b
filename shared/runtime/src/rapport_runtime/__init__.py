"""What every Rapport stage runs on. Depends on :mod:`rapport_contracts`, never on a service
(a test over the import graph enforces it)."""
