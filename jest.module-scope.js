/**
 * ts-jest AST transformer for the tests, which Jest runs as ES modules (see jest.config.js):
 * rewrites the CommonJS module-scope variables `__dirname` and `__filename` to their ES module
 * equivalents `import.meta.dirname` and `import.meta.filename`, which Jest provides.
 *
 * The sources are CommonJS (that is what `tsc` and `nest build` emit, and what tsx runs), so
 * they cannot use `import.meta` themselves; only the test run needs this.
 */
const REPLACEMENTS = { __dirname: 'dirname', __filename: 'filename' };

/** Bump when the output changes, so Jest does not reuse files it cached before. */
exports.version = 1;
exports.name = 'bridge-module-scope';

/** @param {{ configSet: { compilerModule: typeof import('typescript') } }} tsCompiler */
exports.factory = function factory({ configSet }) {
  const ts = configSet.compilerModule;

  /** True where the identifier is a value reference, not a name being declared or a property. */
  const isReference = (node) => {
    const parent = node.parent;
    if (!parent) return true;
    if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
    if (ts.isPropertyAssignment(parent) && parent.name === node) return false;
    if (ts.isVariableDeclaration(parent) && parent.name === node) return false;
    if (ts.isParameter(parent) && parent.name === node) return false;
    return true;
  };

  const esModuleKinds = new Set([
    ts.ModuleKind.ES2015,
    ts.ModuleKind.ES2020,
    ts.ModuleKind.ES2022,
    ts.ModuleKind.ESNext,
  ]);

  return (context) => (sourceFile) => {
    // Files Jest loads outside the test sandbox (e.g. `globalSetup`) are still emitted as CommonJS.
    if (!esModuleKinds.has(context.getCompilerOptions().module)) return sourceFile;
    const visit = (node) => {
      if (ts.isIdentifier(node) && Object.hasOwn(REPLACEMENTS, node.text) && isReference(node)) {
        return context.factory.createPropertyAccessExpression(
          context.factory.createMetaProperty(
            ts.SyntaxKind.ImportKeyword,
            context.factory.createIdentifier('meta'),
          ),
          REPLACEMENTS[node.text],
        );
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(sourceFile, visit);
  };
};
