# The Psych differential test's oracle: loads each YAML text of a JSON array (standard input) the
# way GitLab loads a CI file, and prints one JSON result per text (standard output):
#   - the text is cut into documents at /^---\s+/ (at most two, a blank first one dropped, blank
#     ones rejected), as Gitlab::Config::Loader::MultiDocYaml does;
#   - each is read with YAML.safe_load, Symbol and the !reference tag permitted, aliases allowed, as
#     Gitlab::Config::Loader::Yaml does;
#   - a !reference is valid with a non-empty list of strings (Gitlab::Ci::Config::Yaml::Tags::Reference).
# Values are written with their Ruby types, so that an Integer, a Float and a String stay apart.
require 'json'
require 'yaml'

class OracleReference
  attr_reader :seq

  def init_with(coder)
    @seq = coder.seq
    @scalar = coder.scalar
    @map = coder.map
  end

  def valid?
    @seq.is_a?(Array) && !@seq.empty? && @seq.all?(String)
  end
end

Psych.add_tag('!reference', OracleReference)

class InvalidReference < StandardError; end

def blank?(value)
  value.nil? || value == false || (value.respond_to?(:empty?) && value.empty?) ||
    (value.is_a?(String) && value.strip.empty?)
end

def key_text(key)
  case key
  when nil then ''
  when String then key
  when Symbol then key.to_s
  else key.to_s
  end
end

def encode(value)
  case value
  when nil, true, false then value
  when Integer then { 'int' => value.to_s }
  when Float then { 'float' => value.to_s }
  when String then value.encode('UTF-8', invalid: :replace, undef: :replace)
  when Symbol then { 'sym' => value.to_s }
  when Array then value.map { |item| encode(item) }
  when Hash then { 'map' => value.map { |key, item| [key_text(key), encode(item)] } }
  when OracleReference
    raise InvalidReference, "!reference #{value.seq.inspect} is not valid" unless value.valid?

    { 'ref' => value.seq }
  else { 'other' => value.class.name }
  end
end

def load_like_gitlab(text)
  pieces = text.split(/^---\s+/, 3).map do |piece|
    YAML.safe_load(piece, permitted_classes: [Symbol, OracleReference], permitted_symbols: [], aliases: true)
  end
  pieces.shift if !pieces.empty? && blank?(pieces.first)
  pieces.reject! { |piece| blank?(piece) }
  { 'documents' => pieces.map { |piece| encode(piece) } }
rescue Exception => e # rubocop:disable Lint/RescueException: any failure means GitLab refuses the file
  { 'error' => "#{e.class}: #{e.message}"[0, 300] }
end

texts = JSON.parse($stdin.read)
$stdout.write(JSON.generate(texts.map { |text| load_like_gitlab(text) }))
