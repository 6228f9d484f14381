# Render Markdown with Debian's kramdown the way Jekyll does (GFM input, Jekyll's defaults),
# many documents per process: reads a JSON list of {"name", "text", "options"} on stdin and
# writes a JSON object name -> HTML (or {"error": message}) on stdout.
require 'json'
require 'kramdown'
require 'kramdown-parser-gfm'

JEKYLL_DEFAULTS = {
  input: 'GFM', hard_wrap: false, auto_ids: true, footnote_nr: 1, entity_output: 'as_char',
  toc_levels: [1, 2, 3, 4, 5, 6], smart_quotes: 'lsquo,rsquo,ldquo,rdquo', syntax_highlighter: nil,
}.freeze

out = {}
JSON.parse($stdin.read).each do |doc|
  options = JEKYLL_DEFAULTS.merge((doc['options'] || {}).transform_keys(&:to_sym))
  begin
    out[doc['name']] = Kramdown::Document.new(doc['text'], options).to_html
  rescue StandardError => e
    out[doc['name']] = { 'error' => e.message }
  end
end
$stdout.write(JSON.generate(out))
