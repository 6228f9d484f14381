# The posts whose Liquid does not parse (Liquid::SyntaxError), one "path<TAB>message" line each.
require 'liquid'
ARGV.each do |f|
  text = File.read(f, encoding: 'utf-8')
  body = text.sub(/\A---\s*\n.*?\n---\s*\n/m, '')
  begin
    Liquid::Template.parse(body, error_mode: :warn, line_numbers: true)
  rescue Exception => e
    puts "#{f}\t#{e.message.lines.first.strip}"
  end
end
