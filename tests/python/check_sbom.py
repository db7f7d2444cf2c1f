"""Validates an SBOM against the CycloneDX 1.5 JSON schema (strict: no unknown field), with the
schema CycloneDX itself publishes (cyclonedx-python-lib). Prints `ok: ...` or the first error and
exits 1. Used by the offline bundle test (tests/bundle.rs)."""

import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator


def main(path: str) -> int:
    """Exit 0 when the file is a valid CycloneDX 1.5 document."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text)
    if error is not None:
        print(f"invalid CycloneDX 1.5: {error!r}"[:4000])
        return 1
    print(f"ok: {path} is valid CycloneDX 1.5 (strict schema)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
