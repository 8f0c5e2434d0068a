/**
 * libyaml (GitLab's parser, through Psych) does not check indentation inside a flow collection, so
 *
 *     - FLAGS: [
 *         "a",
 *       ]
 *
 * is valid there, while the `yaml` package and js-yaml want every line of the collection indented
 * deeper than the block it sits in. Inside a flow collection a line's leading spaces carry no
 * meaning (they are folded away, even inside quoted or multi-line plain scalars), so indenting such
 * lines past the opening bracket gives the same document in a form both readers take.
 *
 * Returns the re-indented text, or undefined when nothing needed it. Used only after the readers
 * refused the text; a column on a moved line is then off by the spaces added (its line is right).
 */
export function indentFlowContinuations(text: string): string | undefined {
  const lines = text.split('\n');
  let changed = false;
  let depth = 0;
  let minimum = 0;
  let quote: '"' | "'" | undefined;
  let blockIndent = -1;
  for (let number = 0; number < lines.length; number++) {
    let line = lines[number]!;
    const indent = line.length - line.trimStart().length;
    if (blockIndent >= 0) {
      if (line.trim() === '' || indent > blockIndent) continue;
      blockIndent = -1;
    }
    if (depth > 0 && indent < minimum && line.trim() !== '') {
      line = ' '.repeat(minimum) + line.trimStart();
      lines[number] = line;
      changed = true;
    }
    for (let index = 0; index < line.length; index++) {
      const char = line[index]!;
      const previous = index === 0 ? ' ' : line[index - 1]!;
      if (quote === '"') {
        if (char === '\\') index++;
        else if (char === '"') quote = undefined;
        continue;
      }
      if (quote === "'") {
        if (char === "'" && line[index + 1] === "'") index++;
        else if (char === "'") quote = undefined;
        continue;
      }
      if (char === '#' && (previous === ' ' || previous === '\t')) break;
      const startsValue = /[\s[{,:-]/.test(previous) || index === 0;
      if ((char === '"' || char === "'") && startsValue) {
        quote = char;
        continue;
      }
      if ((char === '[' || char === '{') && (depth > 0 || startsValue)) {
        if (depth === 0) minimum = index + 1;
        depth++;
      } else if ((char === ']' || char === '}') && depth > 0) depth--;
      else if (
        depth === 0 &&
        (char === '|' || char === '>') &&
        startsValue &&
        /^[|>][-+0-9]*\s*(#.*)?$/.test(line.slice(index))
      )
        blockIndent = indent;
    }
  }
  return changed ? lines.join('\n') : undefined;
}
