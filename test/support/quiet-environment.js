const { Console } = require('node:console');
const { Writable } = require('node:stream');
const { TestEnvironment } = require('jest-environment-node');

/**
 * The node environment, holding back what the code under test writes to stdout, stderr and the
 * console: Nest's logs, a test's own measurements, and the lines of the control planes and workers
 * that tests start (their helpers copy them here). The output held while a test (with its hooks)
 * ran is printed only when that test fails, under its name; a passing test prints nothing.
 * `TEST_OUTPUT=all` prints it for every test.
 */
class QuietEnvironment extends TestEnvironment {
  held = [];
  restores = [];
  print = undefined;

  async setup() {
    await super.setup();
    // Before any test loads the AWS SDK, and inherited by every process a test starts: its notice
    // that later versions need Node 22 is known (the lockfile pins versions that run on Node 20).
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    this.global.process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    // A classifier loaded inside a test reads this process's real environment, which the test's
    // copy of process.env (where the classifier sets it) never reaches; without it, ONNX Runtime's
    // telemetry leaves a log file in /tmp for every test process.
    process.env.ORT_DISABLE_TELEMETRY ??= '1';
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write;
      this.print ??= write.bind(process.stderr === stream ? stream : process.stderr);
      stream.write = (chunk, encoding, callback) => {
        this.held.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
        const done = typeof encoding === 'function' ? encoding : callback;
        if (done) process.nextTick(done);
        return true;
      };
      this.restores.push(() => (stream.write = write));
    }
    const held = new Writable({
      write: (chunk, _encoding, done) => {
        this.held.push(chunk.toString());
        done();
      },
    });
    this.global.console = new Console({ stdout: held, stderr: held });
  }

  handleTestEvent(event) {
    if (event.name === 'test_done') {
      const failed = event.test.errors.length > 0;
      if (failed || process.env.TEST_OUTPUT === 'all')
        this.show(`while "${fullName(event.test)}" ${failed ? 'failed' : 'passed'}`);
      this.held = [];
    } else if (event.name === 'hook_failure') {
      this.show(`up to the failed ${event.hook.type} hook`);
      this.held = [];
    }
  }

  show(when) {
    if (this.held.length === 0) return;
    this.print(`\n----- output ${when} -----\n${this.held.join('')}\n----- end of output -----\n`);
  }

  async teardown() {
    this.restores.forEach((restore) => restore());
    this.restores = [];
    await super.teardown();
  }
}

function fullName(test) {
  const names = [];
  for (let block = test; block && block.name !== 'ROOT_DESCRIBE_BLOCK'; block = block.parent)
    names.unshift(block.name);
  return names.join(' › ');
}

module.exports = QuietEnvironment;
