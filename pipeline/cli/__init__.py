"""The command line: one module per command group, each parsing options, calling the core
and printing. No translation logic lives here; the core never prints.

`app` is the console script `pipeline` (and `python -m pipeline`).
"""

from __future__ import annotations

from pipeline.cli.common import App
from pipeline.cli.glossary import glossary_app
from pipeline.cli.lint import lint
from pipeline.cli.paths import paths
from pipeline.cli.reference import config_reference
from pipeline.cli.review import export, import_, review
from pipeline.cli.shards import merge_shards
from pipeline.cli.site import site_app
from pipeline.cli.status import check, status
from pipeline.cli.translate import translate

app = App(
    help="Translate Japanese Jekyll posts (content/ja) into English editions (content/en).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Translate Japanese Jekyll posts into English editions through DeepL, with a cache,
    a glossary and checks. Run `pipeline COMMAND --help` for each command."""


app.command()(translate)
app.command()(status)
app.command()(check)
app.command("lint")(lint)
app.command("review")(review)
app.command("export")(export)
app.command("import")(import_)
app.command("merge-shards")(merge_shards)
app.command("paths")(paths)
app.command("config-reference")(config_reference)
app.add_typer(site_app, name="site")
app.add_typer(glossary_app, name="glossary")


def main() -> None:
    app()
