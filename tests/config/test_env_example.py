from dataclasses import fields
from pathlib import Path

from app.config import Settings


def test_env_example_documents_every_variable() -> None:
    documented = {
        line.split("=", 1)[0].strip()
        for line in Path(".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    assert {spec.metadata["env"] for spec in fields(Settings)} <= documented
