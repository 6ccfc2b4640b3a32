// `npm test`: node's test runner on the compiled tests (out/test, built by `pretest`), named
// one by one: Node 20 does not expand a glob, and a shell's glob is not portable.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
// The tests of test/*.test.ts, not whatever an older build left in out/test.
const files = fs.readdirSync(path.join(root, 'test'))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => path.join('out', 'test', f.replace(/\.ts$/, '.js')));
const missing = files.filter((f) => !fs.existsSync(path.join(root, f)));
if (missing.length > 0) {
    console.error(`smdebug-local extension: not built: ${missing.join(', ')} missing; run \`npm run build\` (or \`npm test\`, which builds)`);
    process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
