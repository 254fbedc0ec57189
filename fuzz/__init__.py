"""Coverage-guided fuzz targets for the verifier (atheris). See fuzz/README.md."""
