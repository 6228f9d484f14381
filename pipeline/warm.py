"""Imported by the workers' fork server only (`workers.PRELOAD`): what every worker would
otherwise build for itself on its first posts, built once and inherited by each fork.

Pygments compiles a lexer's regular expressions the first time the lexer is made (0.1 s
or more for the few a blog's code blocks name), and each dialect's markdown-it parser is
built once per process. A worker forked after this starts with them ready.
"""

from __future__ import annotations

from pipeline import code
from pipeline.markdown import DIALECTS, parser

# the languages code blocks name most often (the corpus's, and a blog's usual ones)
LEXERS = (
    "js", "javascript", "jsx", "ts", "typescript", "tsx", "css", "html", "vue", "json", "yaml", "toml",
    "bash", "sh", "shell", "console", "python", "ruby", "go", "rust", "java", "c", "cpp", "diff", "sql",
)  # fmt: skip

for name in LEXERS:
    code.block_lexer(name)
for dialect in DIALECTS:
    parser(dialect)
