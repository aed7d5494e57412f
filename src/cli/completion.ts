import { type Command, type CommandEntry, defineCommand, isGroup, parseOnePositional, UsageError } from './command.ts';
import { HELP_FLAG } from './flags.ts';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** One place completion can be at: `''` (after `recq`), a group (`dlq`) or a command (`dlq list`). */
interface Place {
  path: string;
  /** Subcommands of the program or a group; a command's first positional words. */
  words: { name: string; summary: string }[];
  /** Whether the words name commands (so a word typed there moves completion into it). */
  commands: boolean;
  flags: { long: string; short?: string; value: boolean; help: string }[];
  /** Whether its positionals are files (a module), rather than only its words. */
  files: boolean;
}

/** Where completion can be, from the command definitions: what each place offers. */
function placesOf(entries: readonly CommandEntry[]): Place[] {
  const help = { long: 'help', short: HELP_FLAG.short, value: false, help: HELP_FLAG.help };
  const groupPlace = (path: string, of: readonly CommandEntry[]): Place => ({
    path,
    words: [
      ...of.map((e) => ({ name: e.name.split(' ').pop() ?? e.name, summary: e.summary })),
      ...(path === '' ? [{ name: 'help', summary: "a command's help" }] : []),
    ],
    commands: true,
    flags: path === '' ? [help, { long: 'version', short: 'v', value: false, help: 'print the version' }] : [help],
    files: false,
  });
  const commandPlace = (command: Command): Place => ({
    path: command.name,
    words: command.positionalWords.map((name) => ({ name, summary: '' })),
    commands: false,
    flags: [
      ...Object.entries(command.flags).map(([long, flag]) => ({
        long,
        ...(flag.short === undefined ? {} : { short: flag.short }),
        value: flag.type === 'string',
        help: flag.help.split('\n')[0] ?? '',
      })),
      help,
    ],
    files: command.positionals && command.positionalWords.length === 0,
  });
  return [
    groupPlace('', entries),
    ...entries.flatMap((entry) => (isGroup(entry) ? [groupPlace(entry.name, entry.commands), ...entry.commands.map(commandPlace)] : [commandPlace(entry)])),
  ];
}

const flagWords = (place: Place) => place.flags.flatMap((f) => [`--${f.long}`, ...(f.short === undefined ? [] : [`-${f.short}`])]);

/** A bash script (zsh loads it through bashcompinit): commands, subcommands, flags, and files where a flag or positional takes one. */
function bashScript(places: readonly Place[]): string {
  const cases = (rows: [pattern: string, body: string][]) => rows.map(([pattern, body]) => `    ${pattern}) ${body} ;;`).join('\n');
  /** A bash function that succeeds when `subject` matches one of `patterns`. */
  const test = (name: string, subject: string, patterns: readonly string[]) => `${name}() {
  case "${subject}" in
    ${patterns.join('|')}) return 0 ;;
  esac
  return 1
}`;
  const words = cases(places.filter((p) => p.words.length > 0).map((p) => [`'${p.path}'`, `echo '${p.words.map((w) => w.name).join(' ')}'`]));
  const flags = cases(places.map((p) => [`'${p.path}'`, `echo '${flagWords(p).join(' ')}'`]));
  const values = places.flatMap((p) =>
    p.flags.filter((f) => f.value).flatMap((f) => [`'${p.path} --${f.long}'`, ...(f.short === undefined ? [] : [`'${p.path} -${f.short}'`])]),
  );
  const groups = places.filter((p) => p.commands).map((p) => `'${p.path}'`);
  const files = places.filter((p) => p.files).map((p) => `'${p.path}'`);
  return `# recq completion for bash: eval "$(recq completion bash)" in ~/.bashrc
_recq_words() {
  case "$1" in
${words}
  esac
}
_recq_flags() {
  case "$1" in
${flags}
  esac
}
${test('_recq_takes_value', '$1 $2', values)}
${test('_recq_is_group', '$1', groups)}
${test('_recq_takes_files', '$1', files)}
_recq() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} path='' word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ $word == -* ]]; then
      if _recq_takes_value "$path" "$word"; then i=$((i + 1)); fi
    elif _recq_is_group "$path" && [[ " $(_recq_words "$path") " == *" $word "* ]]; then
      path=\${path:+$path }$word
    fi
  done
  if _recq_takes_value "$path" "$prev"; then
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  elif [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_recq_flags "$path")" -- "$cur")
  elif _recq_takes_files "$path"; then
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "$(_recq_words "$path")" -- "$cur")
  fi
}
complete -o filenames -F _recq recq
`;
}

/** Single-quoted for fish. */
function fishQuote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** A fish script: each place's words and flags under the condition that completion is there. */
function fishScript(places: readonly Place[]): string {
  const groupNames = new Set(places.filter((p) => p.commands && p.path !== '').map((p) => p.path));
  const condition = (path: string): string => {
    if (path === '') return '__fish_use_subcommand';
    const [first = '', second] = path.split(' ');
    if (second !== undefined) return `__fish_seen_subcommand_from ${first}; and __fish_seen_subcommand_from ${second}`;
    if (!groupNames.has(first)) return `__fish_seen_subcommand_from ${first}`;
    const subs = places.find((p) => p.path === first)?.words.map((w) => w.name) ?? [];
    return `__fish_seen_subcommand_from ${first}; and not __fish_seen_subcommand_from ${subs.join(' ')}`;
  };
  const lines = ['# recq completion for fish: recq completion fish > ~/.config/fish/completions/recq.fish', 'complete -c recq -f'];
  for (const place of places) {
    const when = `-n ${fishQuote(condition(place.path))}`;
    for (const word of place.words) lines.push(`complete -c recq ${when} -a ${word.name}${word.summary ? ` -d ${fishQuote(word.summary)}` : ''}`);
    for (const flag of place.flags) {
      const short = flag.short === undefined ? '' : ` -s ${flag.short}`;
      lines.push(`complete -c recq ${when} -l ${flag.long}${short}${flag.value ? ' -r -F' : ''} -d ${fishQuote(flag.help)}`);
    }
    if (place.files) lines.push(`complete -c recq ${when} -F`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The completion script of `shell` for `entries`: every command, subcommand and flag they define.
 *
 * @example
 * completionScript('bash', [statusCommand]); // '# recq completion for bash: ...'
 */
export function completionScript(shell: Shell, entries: readonly CommandEntry[]): string {
  const places = placesOf(entries);
  if (shell === 'fish') return fishScript(places);
  const bash = bashScript(places);
  return shell === 'zsh'
    ? `#compdef recq\n# recq completion for zsh: eval "$(recq completion zsh)" in ~/.zshrc\nautoload -U +X bashcompinit && bashcompinit\n${bash}`
    : bash;
}

/** `recq completion bash|zsh|fish`, for the commands `entries` gives (the list it is itself in). */
export function completionCommand(entries: () => readonly CommandEntry[]): Command {
  return defineCommand({
    name: 'completion',
    summary: 'print a shell completion script for bash, zsh or fish',
    about: `Usage: recq completion <bash|zsh|fish>

Prints a script that completes recq's commands, subcommands and flags in the shell. Load it
from the shell's start-up file:

  bash  eval "$(recq completion bash)"        (in ~/.bashrc)
  zsh   eval "$(recq completion zsh)"         (in ~/.zshrc)
  fish  recq completion fish > ~/.config/fish/completions/recq.fish
`,
    flags: {},
    positionals: true,
    positionalWords: SHELLS,
    async run({ positionals }) {
      const shell = parseOnePositional('completion', positionals, `missing <shell>: one of ${SHELLS.join(', ')}`);
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw new UsageError(`unknown shell ${JSON.stringify(shell)}: recq completes ${SHELLS.join(', ')}`, 'completion');
      }
      process.stdout.write(completionScript(shell as Shell, entries()));
      return 0;
    },
  });
}
