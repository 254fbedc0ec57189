"""The wire layers, credential-agnostic: text codec, strict CBOR, COSE, keys, CWT claims and
live presentations. Nothing here knows what a driving licence is."""
