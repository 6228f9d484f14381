"""Reviewing what a run changed, and exchanging segments with CAT tools.

* `collect` gathers, per post, the segments that changed since a git revision (source and
  English side by side, with their origin and flags);
* `html` and `markdown` render that as a self-contained report and a short summary;
* `xliff` exports segments to XLIFF 1.2 and imports translators' work back (a package:
  `export`, `read`, `importing`, `active_content`, over `tokens` and `texts`);
Nothing here prints: the commands `review`, `export` and `import` are in `pipeline.cli.review`.
"""
