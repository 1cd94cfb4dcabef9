"""The pure Open Badges core: bytes and dicts in, bytes and dicts out.

Baking (PNG iTXt), signing (Ed25519, JWS), JSON-LD canonicalisation with the bundled contexts
(``contexts/``), OB 3.0 credentials and their Data Integrity proofs, badge images, QR codes,
achievement types and the layout of the published public tree. Nothing here imports Django,
Celery, the ORM, settings or another app (an import-linter contract in ``pyproject.toml``), so
it runs and is unit-tested without a database, and is strictly typed (mypy).
"""
