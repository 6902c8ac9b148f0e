/**
 * The services' build: Nest's webpack defaults (one `dist/apps/<service>/main.js` per service,
 * node_modules left external), with the `@bridge/*` libraries resolved from the same path map
 * the type checker reads in tsconfig.json, so there is one list of libraries.
 */
const { join } = require('node:path');
const ts = require('typescript');

const configFile = join(__dirname, 'tsconfig.json');
const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
const alias = Object.fromEntries(
  Object.entries(config.compilerOptions.paths).map(([name, [target]]) => [
    `${name}$`,
    join(__dirname, target),
  ]),
);

module.exports = (options) => ({
  ...options,
  resolve: { ...options.resolve, plugins: [], alias },
  // Type errors are the typecheck step's to report (`npm run typecheck`, part of `npm test`);
  // eight builds each checking the whole repository would take minutes.
  plugins: options.plugins.filter(
    (plugin) => plugin.constructor.name !== 'ForkTsCheckerWebpackPlugin',
  ),
});
