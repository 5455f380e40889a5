import type { Command } from 'commander';

/**
 * Shell completion generated from the command tree itself, so it never falls behind the commands: each
 * command path maps to the words that may follow it (subcommands and options).
 */
function paths(command: Command, prefix: string[] = []): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const words = [
    ...command.commands.flatMap((sub) => [sub.name(), ...sub.aliases()]),
    ...command.options.map((option) => option.long ?? option.short ?? '').filter(Boolean),
  ];
  table.set(prefix.join(' '), words);
  for (const sub of command.commands) {
    for (const [key, value] of paths(sub, [...prefix, sub.name()])) table.set(key, value);
    for (const alias of sub.aliases()) {
      for (const [key, value] of paths(sub, [...prefix, alias])) table.set(key, value);
    }
  }
  return table;
}

const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

export function bashCompletion(program: Command): string {
  const cases = [...paths(program)]
    .map(([path, words]) => `    ${quote(path)}) words=${quote(words.join(' '))} ;;`)
    .join('\n');
  return `# wharf bash completion: eval "$(wharf completion bash)" or save it under /etc/bash_completion.d/
_wharf() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word words i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ $word == -* ]] && continue
    if [[ -n "$(_wharf_words "\${path:+$path }$word")" ]]; then path="\${path:+$path }$word"; fi
  done
  words="$(_wharf_words "$path")"
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
}
_wharf_words() {
  local words=""
  case "$1" in
${cases}
  esac
  printf '%s' "$words"
}
complete -o default -F _wharf wharf
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef wharf
# wharf zsh completion: eval "$(wharf completion zsh)" in ~/.zshrc
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}
