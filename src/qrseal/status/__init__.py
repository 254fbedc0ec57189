"""Credential status: the Token Status List, its signed tokens, held snapshots and the
verifier's status step."""
