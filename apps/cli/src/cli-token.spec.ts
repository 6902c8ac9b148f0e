import { CliError } from './api-client';
import { TOKEN_IN_ARGUMENTS_WARNING, chooseToken } from './cli-token';

const files: Record<string, string> = { '/run/secrets/bridge': 'from-file\n', '/empty': '  \n' };
const readFile = (path: string) => {
  if (!(path in files)) throw new Error('ENOENT: no such file');
  return files[path];
};

describe('chooseToken', () => {
  it('takes the environment first, then a token file, then the argument', () => {
    expect(chooseToken({ env: { BRIDGE_API_TOKEN: 'from-env' } }, readFile)).toEqual({
      token: 'from-env',
      warnings: [],
    });
    expect(chooseToken({ fileArgument: '/run/secrets/bridge', env: {} }, readFile).token).toBe(
      'from-file',
    );
    expect(
      chooseToken({ env: { BRIDGE_API_TOKEN_FILE: '/run/secrets/bridge' } }, readFile).token,
    ).toBe('from-file');
    expect(chooseToken({ argument: 'from-argv', env: {} }, readFile).token).toBe('from-argv');
    expect(chooseToken({ env: {} }, readFile).token).toBeUndefined();
  });

  it('warns whenever a token is passed in the arguments', () => {
    expect(chooseToken({ argument: 'from-argv', env: {} }, readFile).warnings).toEqual([
      TOKEN_IN_ARGUMENTS_WARNING,
    ]);
    expect(
      chooseToken({ argument: 'x', env: { BRIDGE_API_TOKEN: 'from-env' } }, readFile).warnings,
    ).toEqual([TOKEN_IN_ARGUMENTS_WARNING]);
  });

  it('refuses a token file it cannot read or that is empty, as a usage error', () => {
    expect(() => chooseToken({ fileArgument: '/missing', env: {} }, readFile)).toThrow(CliError);
    expect(() => chooseToken({ fileArgument: '/missing', env: {} }, readFile)).toThrow(
      /cannot read the token file \/missing/,
    );
    expect(() => chooseToken({ fileArgument: '/empty', env: {} }, readFile)).toThrow(/is empty/);
  });
});
