"""Whom a verifier trusts: the trust store, signed trust lists and X.509 document signers."""
