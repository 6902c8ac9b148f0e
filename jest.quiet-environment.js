/**
 * The unit tests' environment: Node's, plus a log buffer. Each test starts with an empty buffer
 * (`globalThis.__bridgeTestLogs`, filled by test/unit/buffered-test-logger.ts), and only a test
 * that fails prints what was logged while it ran, so a green run prints nothing but Jest's own
 * summary. `BRIDGE_TEST_LOG_LEVEL` turns the buffer off and prints as it happens instead.
 */
const { TestEnvironment } = require('jest-environment-node');

class QuietTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.__bridgeTestLogs = [];
  }

  handleTestEvent(event) {
    if (event.name === 'test_start') this.global.__bridgeTestLogs.length = 0;
    if (event.name === 'test_done' && event.test.errors.length > 0) {
      const lines = this.global.__bridgeTestLogs;
      if (lines.length > 0) {
        process.stderr.write(
          `\nlogged while "${event.test.name}" ran:\n${lines.map((l) => `  ${l}`).join('\n')}\n`,
        );
      }
    }
  }
}

module.exports = QuietTestEnvironment;
