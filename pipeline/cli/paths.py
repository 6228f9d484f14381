"""`pipeline paths`: the project's folders for CI steps, so the workflow never hard-codes them.

A project with its own `[paths]` (`output = "english"`) must have those folders uploaded,
kept and added to the pull request; the workflow reads them from this command's output
(`pipeline paths >> "$GITHUB_OUTPUT"`) instead of naming `content/en` itself.
"""

from __future__ import annotations

from pipeline.cli.common import ConfigOption, TargetOption, edge, out, settings_for_targets, settings_from
from pipeline.shards import ci_editions, ci_paths


@edge
def paths(to: TargetOption = None, config: ConfigOption = None) -> None:
    """Print the project's folders as `name=path` lines (source, output, state, glossary, cache),
    then, one per line in `name<<END` blocks, every target language's folders (`editions`) and
    run reports (`reports`).

    Relative to the project root, from pipeline.toml's [paths] (or the defaults). In a GitHub
    workflow: `pipeline paths >> "$GITHUB_OUTPUT"` in a step with an `id`, then
    `${{ steps.ID.outputs.output }}` (or `.editions`, every language's) in the upload, cache and
    pull-request steps."""
    for name, value in ci_paths(settings_from(config, to=to)).items():
        out.print(f"{name}={value}", markup=False, highlight=False, soft_wrap=True)
    for name, values in ci_editions(settings_for_targets(config, to)).items():
        out.print("\n".join([f"{name}<<END_{name.upper()}", *values, f"END_{name.upper()}"]), markup=False, highlight=False, soft_wrap=True)
