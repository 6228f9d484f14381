"""Build the bilingual Jekyll site and check what it publishes.

The English editions are only useful if the site that serves them works, and that is a
property of the *built* site: the real Jekyll builds it and the checks read the HTML it
writes.  Three modules, each feeding the next:

* `build` stages site/ plus every language's posts into a temporary copy (the repository is
  never written to) and runs `jekyll build` (`BuildResult`, `Languages`, `SiteError`);
* `pages` reads the built HTML: each `Page`'s language, links, text and element
  `Structure`, and where its links lead;
* `checks` turns a build into a `SiteReport` (`check`, `check_site_editions`).

Nothing here prints: `pipeline.cli.site` does (`pipeline site check`, `pipeline site build`).
"""
