/**
 * Where the CLI takes the API token from, in this order: `BRIDGE_API_TOKEN`, a file named by
 * `--token-file` or `BRIDGE_API_TOKEN_FILE`, or `--token`. A token given in the arguments can
 * be read by every user of the machine (`ps`) and stays in the shell's history, so it still
 * works, for a one-off, but the CLI says so on stderr each time.
 */
import { CliError, EXIT_CODES } from './api-client';

export interface TokenSources {
  /** `--token`, if given. */
  argument?: string;
  /** `--token-file`, if given. */
  fileArgument?: string;
  env: NodeJS.ProcessEnv;
}

export interface ChosenToken {
  token: string | undefined;
  /** What to print on stderr before the command runs. */
  warnings: string[];
}

export const TOKEN_IN_ARGUMENTS_WARNING =
  'warning: a token on the command line can be seen by other users (ps) and stays in the shell history; use BRIDGE_API_TOKEN or --token-file instead';

/** The token the CLI sends, from the sources above; `readFile` reads a token file's text. */
export function chooseToken(
  sources: TokenSources,
  readFile: (path: string) => string,
): ChosenToken {
  const warnings = sources.argument !== undefined ? [TOKEN_IN_ARGUMENTS_WARNING] : [];
  if (sources.env.BRIDGE_API_TOKEN) return { token: sources.env.BRIDGE_API_TOKEN, warnings };
  const file = sources.fileArgument ?? sources.env.BRIDGE_API_TOKEN_FILE;
  if (file) {
    let text: string;
    try {
      text = readFile(file);
    } catch (error) {
      throw new CliError(
        `cannot read the token file ${file}: ${(error as Error).message}`,
        EXIT_CODES.usage,
      );
    }
    const token = text.trim();
    if (token === '') throw new CliError(`the token file ${file} is empty`, EXIT_CODES.usage);
    return { token, warnings };
  }
  return { token: sources.argument, warnings };
}
